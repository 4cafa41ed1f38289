/**
 * One PKCS#11 library per process, initialized once (PKCS#11 v2.40 §5.4: `C_Initialize` is
 * called once per application, `C_Finalize` once at the end) and shared by every
 * {@link openPkcs11Keys} handle that names it, counted so the last `close()` finalizes it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as pkcs11js from 'pkcs11js';

interface LoadedLibrary {
  readonly module: pkcs11js.PKCS11;
  users: number;
}

const libraries = new Map<string, LoadedLibrary>();

/**
 * Loads and initializes `path` (or reuses it), with the operating system's locking so the
 * asynchronous calls pkcs11js runs on libuv's threads are safe (CKF_OS_LOCKING_OK).
 *
 * @throws Error naming the library when it cannot be loaded or initialized.
 */
export function acquireLibrary(path: string): pkcs11js.PKCS11 {
  const loaded = libraries.get(path);
  if (loaded !== undefined) {
    loaded.users++;
    return loaded.module;
  }
  const module = new pkcs11js.PKCS11();
  try {
    module.load(path);
  } catch (error) {
    throw new Error(`openPkcs11Keys: cannot load the PKCS#11 library ${path}`, { cause: error });
  }
  try {
    module.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  } catch (error) {
    // Another part of the process initialized it first: it is usable as it is.
    if ((error as { code?: number }).code !== pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
      module.close();
      throw new Error(`openPkcs11Keys: C_Initialize of ${path} failed`, { cause: error });
    }
  }
  libraries.set(path, { module, users: 1 });
  return module;
}

/** Releases one use of `path`; the last one finalizes and unloads the library. */
export function releaseLibrary(path: string): void {
  const loaded = libraries.get(path);
  if (loaded === undefined || --loaded.users > 0) return;
  libraries.delete(path);
  for (const key of logins.keys()) if (key.startsWith(`${path}\0`)) logins.delete(key);
  try {
    loaded.module.C_Finalize();
  } catch {
    // Already finalized (by another user of the library): nothing is left to release.
  }
  loaded.module.close();
}

/** The user logins this process holds, by library and slot: a token logs an application in once. */
const logins = new Map<string, { readonly pin: Buffer; users: number }>();

const digest = (pin: string): Buffer => createHash('sha256').update(pin, 'utf8').digest();

/**
 * Logs the user in on `session`'s token, or, when this process is logged in to it already
 * (PKCS#11 answers CKR_USER_ALREADY_LOGGED_IN whatever the PIN), checks the PIN against the one
 * that logged in, so a wrong PIN is refused either way.
 *
 * @throws Error saying the PIN was refused, or why the login failed.
 */
export function login(
  module: pkcs11js.PKCS11,
  library: string,
  slot: pkcs11js.Handle,
  session: pkcs11js.Handle,
  pin: string,
): string {
  const key = `${library}\0${slot.toString('hex')}`;
  const held = logins.get(key);
  if (held !== undefined) {
    if (!timingSafeEqual(held.pin, digest(pin))) {
      throw new Error('openPkcs11Keys: the token refused the PIN (CKR_PIN_INCORRECT)');
    }
    held.users++;
    return key;
  }
  try {
    module.C_Login(session, pkcs11js.CKU_USER, pin);
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code !== pkcs11js.CKR_USER_ALREADY_LOGGED_IN) {
      const reason = (error as { message?: string }).message ?? 'unknown error';
      throw new Error(
        code === pkcs11js.CKR_PIN_INCORRECT
          ? 'openPkcs11Keys: the token refused the PIN (CKR_PIN_INCORRECT)'
          : `openPkcs11Keys: login failed (${reason})`,
        { cause: error },
      );
    }
  }
  logins.set(key, { pin: digest(pin), users: 1 });
  return key;
}

/** Releases one use of a login made by {@link login}. */
export function releaseLogin(key: string): void {
  const held = logins.get(key);
  if (held !== undefined && --held.users === 0) logins.delete(key);
}
