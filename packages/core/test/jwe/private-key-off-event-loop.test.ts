/**
 * JWE private-key work (RSA-OAEP unwrap, ECDH-ES `epk` import and agreement) never runs on the
 * event loop (jwe/engines/crypto-worker.ts): structurally (the synchronous node:crypto and the
 * WebCrypto entry points are never called on this thread) and behaviourally (the main thread's
 * busy time while P-521 garbage tokens are in flight is a fraction of one agreement per token).
 */
import type * as NodeCrypto from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  b64u,
  claims,
  encryptJWE,
  keyPair,
  makeVerifier,
  NOW,
  rejection,
  signJWS,
  type TestKeyPair,
} from '../helpers/keys';

// The module object itself (not an import's interop copy), so a spy sees the engines' calls.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const crypto = require('node:crypto') as typeof NodeCrypto;
const at = { currentDate: NOW };
let issuerKey: TestKeyPair;

beforeAll(async () => {
  issuerKey = await keyPair('rsa');
});

afterEach(() => jest.restoreAllMocks());

/** A JWE with a well-formed header (our `kid`, a valid `epk`) and random everything else. */
function garbageECDH(kid: string, epk: NodeCrypto.JsonWebKey): string {
  const header = { alg: 'ECDH-ES+A256KW', enc: 'A256GCM', cty: 'JWT', kid, epk };
  const r = (n: number) => crypto.randomBytes(n).toString('base64url');
  return [b64u(JSON.stringify(header)), r(40), r(12), r(64), r(16)].join('.');
}

test.each(['p256', 'p521', 'x25519', 'rsa'] as const)(
  '%s: a valid nested token decrypts with no synchronous private-key call on this thread',
  async (kind) => {
    const apiKey = await keyPair(kind, 'api');
    const verifier = await makeVerifier({ decryptionKeys: apiKey.privateJwk, cache: false });
    const token = await encryptJWE(await signJWS(claims(), issuerKey), apiKey);
    const spies = [
      jest.spyOn(crypto, 'diffieHellman'),
      jest.spyOn(crypto, 'privateDecrypt'),
      jest.spyOn(crypto.webcrypto.subtle, 'deriveBits'),
      jest.spyOn(crypto.webcrypto.subtle, 'decrypt'),
    ];
    await expect(verifier.verify(token, at)).resolves.toMatchObject({ subject: 'user-123' });
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  },
);

test('16 P-521 garbage tokens in flight keep the event loop busy for less than 5 agreements', async () => {
  const apiKey = await keyPair('p521', 'api');
  const verifier = await makeVerifier({ decryptionKeys: apiKey.privateJwk, cache: false });
  const attacker = crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' });
  const epk = attacker.publicKey.export({ format: 'jwk' });
  // One synchronous P-521 agreement on this machine: the unit of the bound below.
  const peer = crypto.createPublicKey({ key: epk, format: 'jwk' });
  const t0 = performance.now();
  for (let i = 0; i < 5; i++)
    crypto.diffieHellman({ privateKey: apiKey.privateKey, publicKey: peer });
  const oneAgreement = (performance.now() - t0) / 5;
  // Warm the workers, so their start-up is not counted as a stall.
  await rejection(verifier.verify(garbageECDH(apiKey.kid, epk), at));

  // The main thread's busy time over the flood (event-loop utilisation, not wall-clock gaps: the
  // workers compete with this thread for the cores, which would stretch any gap measured).
  const before = performance.eventLoopUtilization();
  const errors = await Promise.all(
    Array.from({ length: 16 }, () => rejection(verifier.verify(garbageECDH(apiKey.kid, epk), at))),
  );
  const busy = performance.eventLoopUtilization(before).active;
  for (const error of errors) expect(error.code).toBe('ERR_JWE_DECRYPTION_FAILED');
  // On the event loop the 16 agreements alone keep this thread busy for 16 agreements; off it,
  // each token costs the thread its header checks, a message and the answer (≈ 0.7 ms here).
  expect(busy).toBeLessThan(5 * oneAgreement);
});
