/**
 * A small pool of PKCS#11 sessions for the private-key operations. A session runs one
 * cryptographic operation at a time (PKCS#11 v2.40 §5.6: `C_DecryptInit` then `C_Decrypt` on
 * the same session), so each operation takes a session for itself; the operations themselves
 * run on libuv's threads (pkcs11js' `*Async` calls). The verifier's crypto pool already bounds
 * how many are in flight; this pool only keeps a session from being shared.
 */
import type * as pkcs11js from 'pkcs11js';

/** Opens a session on the token (logged in through the handle's anchor session). */
export type SessionOpener = () => pkcs11js.Handle;

/**
 * Sessions opened on demand up to `size`, reused, and closed (not reused) after an operation
 * failed in a way that may have left the session in an unknown state.
 */
export class SessionPool {
  readonly #idle: pkcs11js.Handle[] = [];
  readonly #waiting: {
    resolve: (session: pkcs11js.Handle) => void;
    reject: (error: unknown) => void;
  }[] = [];
  #open = 0;
  #closed = false;

  constructor(
    private readonly module: pkcs11js.PKCS11,
    private readonly openSession: SessionOpener,
    private readonly size: number,
  ) {}

  /** Runs `task` with a session of its own. */
  async run<T>(task: (session: pkcs11js.Handle) => Promise<T>): Promise<T> {
    const session = await this.#acquire();
    let healthy = true;
    try {
      return await task(session);
    } catch (error) {
      healthy = false;
      throw error;
    } finally {
      this.#release(session, healthy);
    }
  }

  /** Closes every idle session; sessions in use are closed as they are released. */
  close(): void {
    this.#closed = true;
    for (const session of this.#idle.splice(0)) this.#closeSession(session);
    for (const waiter of this.#waiting.splice(0)) {
      waiter.reject(new Error('the PKCS#11 key handle is closed'));
    }
  }

  async #acquire(): Promise<pkcs11js.Handle> {
    if (this.#closed) throw new Error('the PKCS#11 key handle is closed');
    const idle = this.#idle.pop();
    if (idle !== undefined) return idle;
    if (this.#open < this.size) {
      const session = this.openSession();
      this.#open++;
      return session;
    }
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #release(session: pkcs11js.Handle, healthy: boolean): void {
    if (!healthy || this.#closed) {
      this.#closeSession(session);
      // A waiter gets a fresh session in place of the closed one, or the reason there is none
      // (never a wait without end).
      const next = this.#waiting.shift();
      if (next === undefined) return;
      if (this.#closed) return next.reject(new Error('the PKCS#11 key handle is closed'));
      try {
        const fresh = this.openSession();
        this.#open++;
        next.resolve(fresh);
      } catch (error) {
        next.reject(error);
      }
      return;
    }
    const next = this.#waiting.shift();
    if (next !== undefined) next.resolve(session);
    else this.#idle.push(session);
  }

  #closeSession(session: pkcs11js.Handle): void {
    this.#open--;
    try {
      this.module.C_CloseSession(session);
    } catch {
      // Already invalid (token removed, library finalized): nothing to close.
    }
  }
}
