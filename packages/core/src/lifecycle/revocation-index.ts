/**
 * The local copy of a revocation list: three maps keyed by issuer and name, checked in O(1) per
 * request, with expired entries dropped as time passes. Memory lists and the Redis list's pushed
 * copy both hold one.
 */
import type { AccessToken } from '../verifier/access-token';
import { revocationId, type RevocationEntry } from './revocation-list';

// U+0000 cannot occur in a JSON string value an issuer would use as `iss`, so issuer and name
// never run together.
const key = (issuer: string, name: string) => `${issuer}\u0000${name}`;

/** Revoked tokens, subjects and clients, by id and by what a check looks up. */
export class RevocationIndex {
  private readonly byId = new Map<string, RevocationEntry>();
  private readonly tokens = new Map<string, number>();
  private readonly subjects = new Map<string, number>();
  private readonly clients = new Map<string, number>();
  private addsSinceSweep = 0;

  /** How many entries it holds. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Adds or replaces an entry (a later subject or client revocation moves `before` forward).
   * Expired entries are dropped every so many additions (amortised O(1)); until then they are
   * harmless: every token they name has expired too.
   */
  add(entry: RevocationEntry, nowMs = Date.now()): string {
    if (++this.addsSinceSweep >= Math.max(1024, this.byId.size / 2)) this.sweep(nowMs);
    const id = revocationId(entry);
    const existing = this.byId.get(id);
    const merged = existing === undefined ? entry : mergeEntries(existing, entry);
    this.byId.set(id, merged);
    this.index(merged);
    return id;
  }

  /** Drops an entry by id; true when there was one. */
  remove(id: string): boolean {
    const entry = this.byId.get(id);
    if (entry === undefined) return false;
    this.byId.delete(id);
    if (entry.kind === 'token') this.tokens.delete(key(entry.issuer, entry.jti));
    else if (entry.kind === 'subject') this.subjects.delete(key(entry.issuer, entry.subject));
    else this.clients.delete(key(entry.issuer, entry.clientId));
    return true;
  }

  /** Replaces everything with `entries` (a full resynchronisation). */
  replaceAll(entries: Iterable<RevocationEntry>): void {
    this.byId.clear();
    this.tokens.clear();
    this.subjects.clear();
    this.clients.clear();
    for (const entry of entries) this.add(entry);
  }

  /** The live entries with their ids. */
  entries(nowMs: number): Array<RevocationEntry & { readonly id: string }> {
    this.sweep(nowMs);
    return [...this.byId].map(([id, entry]) => ({ ...entry, id }));
  }

  /** Whether `token` is revoked: a few map look-ups, nothing else on the request's path. */
  isRevoked(token: AccessToken): boolean {
    const jti = token.claims.jti;
    if (typeof jti === 'string' && this.tokens.has(key(token.issuer, jti))) return true;
    if (this.subjects.size === 0 && this.clients.size === 0) return false;
    // A token without iat cannot show it was issued after the revocation: it is refused.
    const issuedAt = token.issuedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
    if (token.subject !== undefined) {
      const before = this.subjects.get(key(token.issuer, token.subject));
      if (before !== undefined && issuedAt < before) return true;
    }
    if (token.clientId !== undefined) {
      const before = this.clients.get(key(token.issuer, token.clientId));
      if (before !== undefined && issuedAt < before) return true;
    }
    return false;
  }

  private index(entry: RevocationEntry): void {
    if (entry.kind === 'token') this.tokens.set(key(entry.issuer, entry.jti), 1);
    else if (entry.kind === 'subject')
      this.subjects.set(key(entry.issuer, entry.subject), entry.before.getTime());
    else this.clients.set(key(entry.issuer, entry.clientId), entry.before.getTime());
  }

  /** Drops expired entries. */
  private sweep(nowMs: number): void {
    this.addsSinceSweep = 0;
    for (const [id, entry] of this.byId) {
      if (entry.expiresAt.getTime() <= nowMs) this.remove(id);
    }
  }
}

/** A repeated revocation keeps the later `before` and the later `expiresAt`. */
function mergeEntries(a: RevocationEntry, b: RevocationEntry): RevocationEntry {
  const expiresAt = a.expiresAt > b.expiresAt ? a.expiresAt : b.expiresAt;
  if (a.kind === 'token' || b.kind === 'token') return { ...b, expiresAt } as RevocationEntry;
  const before = a.before > b.before ? a.before : b.before;
  return { ...b, before, expiresAt } as RevocationEntry;
}
