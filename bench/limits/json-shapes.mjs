/**
 * Event-loop cost of hostile JSON shapes in a token's header and claims, next to one valid
 * verification with the same key type. Part of `pnpm bench:limits` (imported by limits.mjs).
 *
 * Every hostile token fits the default `maxTokenLength` (16384). The shapes that pass the shape
 * caps (compact/limits.ts) carry the trusted `iss`, `aud` and `exp`, so they go on to the key
 * lookup and the signature check, as a token with a random signature does: the most work a
 * verifier does before it can reject them. Tokens are crafted with node:crypto.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { perCall } from './key-types.mjs';

const require = createRequire(import.meta.url);
const { createVerifier } = require('../../packages/core/dist/index.js');

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'https://api.example.com';
const b64u = (v) => Buffer.from(v).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const trusted = `"iss":"${ISSUER}","aud":"${AUDIENCE}","exp":${now + 3600}`;

/** JSON text of `n` nested arrays. */
const nested = (n) => `${'['.repeat(n)}${']'.repeat(n)}`;
/** `n` members with short distinct names: "0":0, "1":0, … "zz":0 (base 36). */
const members = (n) => Array.from({ length: n }, (_, i) => `"${i.toString(36)}":0`).join(',');

// Sizes are chosen so that each token is just under 16384 characters (base64url of the claims
// is 4/3 of their length, plus the header and signature).
const CLAIMS_BYTES = 11_500;

/** Hostile header shapes: [label, header JSON text]. */
const HEADER_SHAPES = (alg) => [
  ['header: 6,000 nested arrays (16,000 characters)', `{"alg":"${alg}","x":${nested(5_950)}}`],
  [
    'header: 1,500 nested arrays (under the 4 KiB header cap)',
    `{"alg":"${alg}","x":${nested(1_500)}}`,
  ],
  ['header: 65 members (past the cap)', `{"alg":"${alg}",${members(64)}}`],
  [
    'header: 64 members, 3 KB (at the cap)',
    `{"alg":"${alg}","pad":"${'A'.repeat(2_400)}",${members(62)}}`,
  ],
  ['header: a 3,000-character string', `{"alg":"${alg}","x":"${'A'.repeat(3_000)}"}`],
];

/** Hostile claims shapes: [label, claims JSON text]. */
const CLAIMS_SHAPES = [
  ['claims: 5,700 nested arrays', `{${trusted},"x":${nested(5_700)}}`],
  [
    'claims: 16 levels (at the cap), 11 KB',
    `{${trusted},"x":${nested(15)},"p":"${'A'.repeat(CLAIMS_BYTES - 200)}"}`,
  ],
  ['claims: 1,450 members (past the cap)', `{${trusted},${members(1_447)}}`],
  [
    'claims: 1,000 members (at the cap)',
    `{${trusted},${members(996)},"pad":"${'A'.repeat(3_500)}"}`,
  ],
  [
    'claims: 1,000 members, the last a duplicate',
    `{${trusted},${members(995)},"pad":"${'A'.repeat(3_500)}","0":1}`,
  ],
  ['claims: a 11,500-character string', `{${trusted},"x":"${'A'.repeat(CLAIMS_BYTES)}"}`],
  ['claims: 1,900 \\u escapes', `{${trusted},"x":"${'\\u0041'.repeat(1_900)}"}`],
  ['claims: 5,700 escaped quotes', `{${trusted},"x":"${'\\"'.repeat(5_700)}"}`],
  ['claims: an 11,500-digit number', `{${trusted},"x":${'9'.repeat(CLAIMS_BYTES)}}`],
  ['claims: 5,700 array elements', `{${trusted},"x":[${Array(5_700).fill(0).join(',')}]}`],
  ['claims: 2,850 empty arrays', `{${trusted},"x":[${Array(2_850).fill('[]').join(',')}]}`],
];

const KEY_TYPES = [
  ['ES256', ['ec', { namedCurve: 'P-256' }], { dsaEncoding: 'ieee-p1363' }, 64],
  ['RS256', ['rsa', { modulusLength: 2048 }], {}, 256],
];

/** Runs the JSON-shapes table; `out` writes one line. */
export async function runJSONShapes(out, { quick = false } = {}) {
  out('| key | token | characters | outcome | event loop ms / token | CPU ms / token |');
  out('| --- | --- | ---: | --- | ---: | ---: |');
  for (const [alg, [type, parameters], signOptions, signatureBytes] of KEY_TYPES) {
    const pair = generateKeyPairSync(type, parameters);
    const jwk = { ...pair.publicKey.export({ format: 'jwk' }), kid: 'k1', alg };
    const verifier = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: { keys: [jwk] },
      cache: false,
    });
    const header = b64u(JSON.stringify({ alg, kid: 'k1', typ: 'at+jwt' }));
    const signed = (headerB64, claimsText) => {
      const input = `${headerB64}.${b64u(claimsText)}`;
      const signature = sign('sha256', Buffer.from(input), {
        key: pair.privateKey,
        ...signOptions,
      });
      return `${input}.${signature.toString('base64url')}`;
    };
    const garbageSignature = b64u(Buffer.alloc(signatureBytes, 7));
    const n = quick ? 60 : 400;
    const valid = Array.from({ length: n }, (_, i) =>
      signed(header, `{${trusted},"sub":"user-${i}","scope":"messages:read"}`),
    );
    const large = valid.map((_, i) =>
      signed(header, `{${trusted},"sub":"user-${i}","pad":"${'A'.repeat(CLAIMS_BYTES)}"}`),
    );
    const rows = [
      [`valid ${alg} token, distinct tokens`, valid, true],
      [`valid ${alg} token with an 11,500-character claim, distinct tokens`, large, true],
    ];
    for (const [label, text] of HEADER_SHAPES(alg)) {
      rows.push([label, `${b64u(text)}.${b64u(`{${trusted}}`)}.${garbageSignature}`]);
    }
    for (const [label, text] of CLAIMS_SHAPES) {
      rows.push([label, `${header}.${b64u(text)}.${garbageSignature}`]);
    }
    for (const [label, tokenOrTokens, accepted = false] of rows) {
      const tokens = Array.isArray(tokenOrTokens) ? tokenOrTokens : Array(n).fill(tokenOrTokens);
      if (tokens[0].length > 16_384) throw new Error(`${label}: longer than maxTokenLength`);
      const r = await perCall(verifier, tokens, accepted);
      out(
        `| ${alg} | ${label} | ${tokens[0].length} | ${r.outcome} | ${r.loopMs.toFixed(3)} | ${r.cpuMs.toFixed(3)} |`,
      );
    }
  }
}
