/* global process, console, URL, TextEncoder, Buffer */
// Key custody, what an HSM costs (mitata, one process, after `pnpm build`): nested tokens
// decrypted by a key held in a SoftHSM2 token (`@tokenward/pkcs11`) against the same kind of key
// in process memory (node:crypto):
// - a first verification (`cache: false`) of distinct tokens, per key type: RSA 2048
//   (RSA-OAEP-256 with the padding removed in process, the only RSA-OAEP-256 SoftHSM2 2.6 does;
//   RSA-OAEP, SHA-1, with the padding removed in the token) and P-256 (ECDH-ES+A256KW);
// - a repeated token answered by the verified-token cache, HSM-backed verifier against
//   in-process verifier;
// - the private-key step alone (the HSM key's unwrap / deriveSharedSecret against node:crypto).
// The SoftHSM2 token lives in a temporary directory (SOFTHSM2_CONF), removed at the end, also on
// an error. Results go to results/keys-hsm.json.
//
//   pnpm build && node bench/keys/hsm.mjs [--rounds 5]
import { execFileSync } from 'node:child_process';
import {
  constants,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  privateDecrypt,
} from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { measure } from 'mitata';
import { AUDIENCE, ISSUER } from '../lib/fixtures.mjs';
import { jose } from '../lib/deps.mjs';

const { CompactEncrypt, SignJWT, importJWK } = jose;
const require = createRequire(import.meta.url);
const LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '1234';
// Distinct tokens per key, taken in turn by the cache-off measurements: mitata's 0.64 s budget is
// ≈ 600 calls of a 1 ms verification, so no token repeats within one measurement.
const POOL = 2048;
const roundsArg = process.argv.indexOf('--rounds');
const ROUNDS = roundsArg === -1 ? 5 : Number(process.argv[roundsArg + 1]);
if (!Number.isSafeInteger(ROUNDS) || ROUNDS < 1)
  throw new TypeError('--rounds must be a positive integer');

// SoftHSM2 reads SOFTHSM2_CONF when the library initializes: set it before anything loads it.
const dir = mkdtempSync(join(tmpdir(), 'tokenward-bench-softhsm-'));
const removeDir = () => rmSync(dir, { recursive: true, force: true });
process.on('exit', removeDir);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

let hsm;
try {
  const conf = join(dir, 'softhsm2.conf');
  mkdirSync(join(dir, 'tokens'));
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`,
  );
  process.env.SOFTHSM2_CONF = conf;
  execFileSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', 'bench', '--pin', PIN, '--so-pin', '5678'],
    { stdio: 'ignore' },
  );
  if (readdirSync(join(dir, 'tokens')).length !== 1) {
    throw new Error('softhsm2-util ignored SOFTHSM2_CONF');
  }
  const core = require('../../packages/core/dist/index.js');
  const { openPkcs11Keys } = require('../../packages/pkcs11/dist/index.js');
  hsm = await openPkcs11Keys({ library: LIBRARY, tokenLabel: 'bench', pin: PIN });
  await main(core, hsm);
} finally {
  hsm?.close();
  removeDir();
}

async function main(core, hsm) {
  // The issuer's signing key (ES256: cheap to mint thousands of distinct inner tokens).
  const signing = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingJwk = {
    ...signing.publicKey.export({ format: 'jwk' }),
    kid: 'sig',
    alg: 'ES256',
    use: 'sig',
  };

  // Keys in the token: generated there, private halves sensitive and never extractable.
  hsm.generateRsaKeyPair({ label: 'rsa', modulusBits: 2048 });
  hsm.generateEcKeyPair({ label: 'ec', crv: 'P-256' });
  // The same kinds in process.
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const local = (key, kid, alg) => ({
    ...key.export({ format: 'jwk' }),
    kid,
    alg,
    use: 'enc',
  });

  // One entry per key: the verifier's decryption key, and the public JWK an issuer encrypts to.
  const cases = {
    'RSA-OAEP-256': {
      hsm: {
        key: hsm.decryptionKey('rsa', { kid: 'hsm-rsa-256', alg: 'RSA-OAEP-256', oaep: 'process' }),
        jwk: hsm.publicJwk('rsa', { kid: 'hsm-rsa-256', alg: 'RSA-OAEP-256' }),
      },
      local: { jwk: local(rsa.privateKey, 'rsa-256', 'RSA-OAEP-256') },
    },
    'RSA-OAEP': {
      hsm: {
        key: hsm.decryptionKey('rsa', { kid: 'hsm-rsa-1', alg: 'RSA-OAEP' }),
        jwk: hsm.publicJwk('rsa', { kid: 'hsm-rsa-1', alg: 'RSA-OAEP' }),
      },
      local: { jwk: local(rsa.privateKey, 'rsa-1', 'RSA-OAEP') },
    },
    'ECDH-ES+A256KW': {
      hsm: {
        key: hsm.decryptionKey('ec', { kid: 'hsm-ec', alg: 'ECDH-ES+A256KW' }),
        jwk: hsm.publicJwk('ec', { kid: 'hsm-ec', alg: 'ECDH-ES+A256KW' }),
      },
      local: { jwk: local(ec.privateKey, 'ec', 'ECDH-ES+A256KW') },
    },
  };
  for (const c of Object.values(cases)) c.local.key = c.local.jwk;

  const verifier = (decryptionKeys, cache) =>
    core.createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['ES256'],
      keys: { keys: [signingJwk] },
      decryptionKeys,
      encryption: 'required',
      metrics: false,
      cache,
    });

  // Distinct inner tokens, signed once, each encrypted to every key.
  const signingKey = createPrivateKey(signing.privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const now = Math.floor(Date.now() / 1000);
  const inner = await Promise.all(
    Array.from({ length: POOL }, (_, i) =>
      new SignJWT({ scope: 'messages:read', client_id: 'bench' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'sig' })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setSubject(`user-${i}`)
        .setJti(`t-${i}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 3600)
        .sign(signingKey),
    ),
  );
  const encryptAll = async (jwk) => {
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = jwk;
    const key = await importJWK(publicJwk, jwk.alg);
    return Promise.all(
      inner.map((jws) =>
        new CompactEncrypt(new TextEncoder().encode(jws))
          .setProtectedHeader({ alg: jwk.alg, enc: 'A256GCM', cty: 'JWT', kid: jwk.kid })
          .encrypt(key),
      ),
    );
  };

  for (const c of Object.values(cases)) {
    for (const s of [c.hsm, c.local]) {
      s.tokens = await encryptAll(s.jwk);
      s.cold = verifier(s.key, false);
      s.warm = verifier(s.key, { admission: 'always' });
      // The tokens verify (a rejection during a measurement fails the run), and the cache
      // holds the first one.
      await s.cold.verify(s.tokens[1]);
      await s.warm.verify(s.tokens[0]);
    }
  }
  // The private-key step alone, on one token's encrypted key or epk: the HSM key's own method
  // (a token call on a libuv thread) against synchronous node:crypto (the epk imported each time,
  // as a verifier must).
  const part = (token, i) => Buffer.from(token.split('.')[i], 'base64url');
  for (const alg of ['RSA-OAEP-256', 'RSA-OAEP']) {
    const { hsm: h, local: l } = cases[alg];
    const hsmKey = part(h.tokens[3], 1);
    const localKey = part(l.tokens[3], 1);
    const oaepHash = alg === 'RSA-OAEP' ? 'sha1' : 'sha256';
    h.step = () => h.key.unwrap(hsmKey, {});
    l.step = () =>
      privateDecrypt(
        { key: rsa.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash },
        localKey,
      );
  }
  {
    const { hsm: h, local: l } = cases['ECDH-ES+A256KW'];
    const hsmEpk = JSON.parse(part(h.tokens[3], 0)).epk;
    const localEpk = JSON.parse(part(l.tokens[3], 0)).epk;
    h.step = () => h.key.deriveSharedSecret(hsmEpk, {});
    l.step = () =>
      diffieHellman({
        privateKey: ec.privateKey,
        publicKey: createPublicKey({ key: localEpk, format: 'jwk' }),
      });
  }
  // The HSM does the private-key step: one token call per first verification, none on a hit.
  let calls = 0;
  const counted = { ...cases['ECDH-ES+A256KW'].hsm.key };
  const derive = counted.deriveSharedSecret;
  counted.deriveSharedSecret = (...args) => (calls++, derive(...args));
  const probe = verifier(counted, { admission: 'always' });
  const probeToken = cases['ECDH-ES+A256KW'].hsm.tokens[2];
  await probe.verify(probeToken);
  await probe.verify(probeToken);
  if (calls !== 1) throw new Error(`expected one token call, counted ${calls}`);

  const started = new Date();
  // Other work on the machine shows here (this process alone keeps it near 1).
  const loadBefore = loadavg()[0];
  const kinds = {
    'first verification': (s) => {
      let i = 0;
      return () => s.cold.verify(s.tokens[i++ % POOL]);
    },
    'cache hit': (s) => () => s.warm.verify(s.tokens[0]),
    'private-key step alone': (s) => s.step,
  };
  // Interleaved rounds: every pair measured once per round, one right after the other (the HSM
  // first in odd rounds, in process first in even ones), and every ratio the median of the
  // per-round ratios, so the machine's drift between rounds does not enter a ratio.
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const measured = {};
    for (const [kind, make] of Object.entries(kinds)) {
      for (const alg of Object.keys(cases)) {
        const order = round % 2 === 0 ? ['hsm', 'local'] : ['local', 'hsm'];
        for (const where of order) {
          const stats = await measure(make(cases[alg][where]));
          measured[`${kind} | ${alg} | ${where}`] = { avg: stats.avg, p50: stats.p50 };
        }
      }
    }
    rounds.push(measured);
    console.error(`round ${round + 1}/${ROUNDS} done`);
  }
  const median = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const us = (ns) => (ns / 1000).toFixed(2);
  const summaryRows = [];
  for (const kind of Object.keys(kinds)) {
    for (const alg of Object.keys(cases)) {
      const at = (r, where) => r[`${kind} | ${alg} | ${where}`].avg;
      const perRound = rounds.map((r) => at(r, 'hsm') / at(r, 'local'));
      summaryRows.push({
        kind,
        alg,
        hsmNs: median(rounds.map((r) => at(r, 'hsm'))),
        localNs: median(rounds.map((r) => at(r, 'local'))),
        ratio: median(perRound),
        perRound,
      });
    }
  }
  const machine = `${cpus().length} × ${cpus()[0].model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB`;
  console.log(`${started.toISOString()}, Node ${process.version}, ${machine}, ${ROUNDS} rounds\n`);
  console.log(
    '| operation | HSM µs | in process µs | HSM ÷ in process | per round |\n| --- | ---: | ---: | ---: | --- |',
  );
  for (const r of summaryRows) {
    console.log(
      `| ${r.kind}, ${r.alg} | ${us(r.hsmNs)} | ${us(r.localNs)} | ${r.ratio.toFixed(2)} | ${r.perRound.map((x) => x.toFixed(2)).join(' / ')} |`,
    );
  }
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(
    new URL('../results/keys-hsm.json', import.meta.url),
    `${JSON.stringify(
      {
        date: started.toISOString(),
        node: process.version,
        machine,
        softhsm: execFileSync('softhsm2-util', ['--version']).toString().trim(),
        distinctTokens: POOL,
        rounds: ROUNDS,
        loadAverage1m: { before: loadBefore, after: loadavg()[0] },
        keys: {
          'RSA-OAEP-256': 'RSA 2048; HSM: oaep "process" (CKM_RSA_X_509 in the token)',
          'RSA-OAEP': 'RSA 2048; HSM: oaep "token" (CKM_RSA_PKCS_OAEP, SHA-1)',
          'ECDH-ES+A256KW': 'P-256; HSM: CKM_ECDH1_DERIVE, CKD_NULL',
        },
        note: 'mitata measure() average per call, ns; hsmNs/localNs medians over rounds; ratio the median of per-round ratios',
        summary: summaryRows,
        raw: rounds,
      },
      null,
      2,
    )}\n`,
  );
}
