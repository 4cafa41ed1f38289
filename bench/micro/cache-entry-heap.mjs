/* global process, console */
// Heap held per verified-token cache entry against the JSON size of what it holds. Builds N
// entries (default 50,000) of exactly the shape the cache keeps — the AccessToken with its parsed
// header and claims, audience array, scope and role Sets, Dates, in an LRU-like Map — for a small
// claims set and a large one, and prints heap bytes per entry and per JSON character (header +
// claims). cache/entry-size.ts estimates an entry from these figures.
//
//   node --expose-gc bench/micro/cache-entry-heap.mjs [--count N]
const i = process.argv.indexOf('--count');
const count = i >= 0 ? Number(process.argv[i + 1]) : 50_000;
const now = Math.floor(Date.now() / 1000);
const headerJSON = JSON.stringify({ alg: 'RS256', kid: 'key-2025-01', typ: 'at+jwt' });

const shapes = {
  small: (n) => ({ scope: 'messages:read', client_id: 'bench', jti: `m-${n}` }),
  large: (n) => ({
    scope: Array.from({ length: 20 }, (_, k) => `scope:${k}`).join(' '),
    roles: Array.from({ length: 30 }, (_, k) => `role-${k}-${n}`),
    profile: { name: `User ${n}`, email: `user${n}@example.com`, tenant: 'acme', tags: ['a', 'b'] },
    client_id: 'bench',
    jti: `m-${n}`,
  }),
};

function entry(claimsJSON) {
  // What buildAccessToken makes of a verified token (claims/build-access-token.ts).
  const claims = JSON.parse(claimsJSON);
  const header = JSON.parse(headerJSON);
  return Object.freeze({
    claims: Object.freeze(claims),
    header: Object.freeze(header),
    issuer: claims.iss,
    subject: claims.sub,
    clientId: claims.client_id,
    audience: Object.freeze([claims.aud]),
    scopes: new Set(claims.scope.split(' ')),
    roles: new Set(claims.roles ?? []),
    expiresAt: new Date(claims.exp * 1000),
    issuedAt: new Date(claims.iat * 1000),
  });
}

const heap = () => {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};
if (!globalThis.gc) console.log('run with --expose-gc for stable figures');

for (const [name, extra] of Object.entries(shapes)) {
  const sources = [];
  let chars = 0;
  for (let n = 0; n < count; n++) {
    const json = JSON.stringify({
      iss: 'https://issuer.example.com/',
      aud: 'https://api.example.com',
      sub: `user-${n}`,
      iat: now,
      exp: now + 3600,
      ...extra(n),
    });
    sources.push(json);
    chars += json.length + headerJSON.length;
  }
  const keys = sources.map((s, n) => `token-${n}-${s.length}`); // the key text is counted apart
  const before = heap();
  const held = new Map();
  for (let n = 0; n < count; n++) held.set(keys[n], { value: entry(sources[n]), ttl: 600 });
  const after = heap();
  const perEntry = (after - before) / count;
  console.log(
    `${name}: ${count} entries, ${(chars / count).toFixed(0)} JSON chars/entry, ${perEntry.toFixed(0)} heap B/entry, ${(perEntry / (chars / count)).toFixed(2)} B per JSON char (held: ${held.size})`,
  );
}
