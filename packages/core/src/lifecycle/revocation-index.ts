/**
 * The local copy of a revocation list: per issuer, a set of revoked `jti`s and two maps of
 * subjects and clients, checked in O(1) per request, with expired entries dropped as time passes. Memory lists and the Redis list's pushed
 * copy both hold one.
 */
import type { AccessToken } from '../verifier/access-token';
import { revocationId, type RevocationEntry } from './revocation-list';

/** One issuer's revocations. Nested by issuer so a check hashes no new string: the token's own
 * `iss`, `jti`, `sub` and client strings are the keys, and V8 keeps their hashes. */
interface IssuerRevocations {
  readonly tokens: Set<string>;
  /** Subject → the time (ms) before which its tokens are revoked. */
  readonly subjects: Map<string, number>;
  readonly clients: Map<string, number>;
}

/** Revoked tokens, subjects and clients, by id and by what a check looks up. */
export class RevocationIndex {
  private readonly byId = new Map<string, RevocationEntry>();
  private readonly byIssuer = new Map<string, IssuerRevocations>();
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

  /** The entry with `id` (as merged with earlier ones), if there is one. */
  get(id: string): RevocationEntry | undefined {
    return this.byId.get(id);
  }

  /** Drops an entry by id; true when there was one. */
  remove(id: string): boolean {
    const entry = this.byId.get(id);
    if (entry === undefined) return false;
    this.byId.delete(id);
    const issuer = this.byIssuer.get(entry.issuer);
    if (issuer !== undefined) {
      if (entry.kind === 'token') issuer.tokens.delete(entry.jti);
      else if (entry.kind === 'subject') issuer.subjects.delete(entry.subject);
      else issuer.clients.delete(entry.clientId);
      if (issuer.tokens.size + issuer.subjects.size + issuer.clients.size === 0) {
        this.byIssuer.delete(entry.issuer);
      }
    }
    return true;
  }

  /** Replaces everything with `entries` (a full resynchronisation). */
  replaceAll(entries: Iterable<RevocationEntry>): void {
    this.byId.clear();
    this.byIssuer.clear();
    for (const entry of entries) this.add(entry);
  }

  /** The live entries with their ids. */
  entries(nowMs: number): Array<RevocationEntry & { readonly id: string }> {
    this.sweep(nowMs);
    return [...this.byId].map(([id, entry]) => ({ ...entry, id }));
  }

  /** Whether `token` is revoked: a few map look-ups, nothing else on the request's path. */
  isRevoked(token: AccessToken): boolean {
    const issuer = this.byIssuer.get(token.issuer);
    if (issuer === undefined) return false;
    const jti = token.claims.jti;
    if (typeof jti === 'string' && issuer.tokens.has(jti)) return true;
    if (issuer.subjects.size === 0 && issuer.clients.size === 0) return false;
    // A token without iat cannot show it was issued after the revocation: it is refused.
    const issuedAt = token.issuedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
    if (token.subject !== undefined) {
      const before = issuer.subjects.get(token.subject);
      if (before !== undefined && issuedAt < before) return true;
    }
    if (token.clientId !== undefined) {
      const before = issuer.clients.get(token.clientId);
      if (before !== undefined && issuedAt < before) return true;
    }
    return false;
  }

  private index(entry: RevocationEntry): void {
    let issuer = this.byIssuer.get(entry.issuer);
    if (issuer === undefined) {
      issuer = { tokens: new Set(), subjects: new Map(), clients: new Map() };
      this.byIssuer.set(entry.issuer, issuer);
    }
    if (entry.kind === 'token') issuer.tokens.add(entry.jti);
    else if (entry.kind === 'subject') issuer.subjects.set(entry.subject, entry.before.getTime());
    else issuer.clients.set(entry.clientId, entry.before.getTime());
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
