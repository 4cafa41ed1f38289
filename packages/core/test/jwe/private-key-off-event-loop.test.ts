/**
 * JWE private-key work (RSA-OAEP unwrap, ECDH-ES `epk` import and agreement) never runs on the
 * event loop (jwe/engines/crypto-worker.ts): structurally (the synchronous node:crypto and the
 * WebCrypto entry points are never called on this thread) and behaviourally (the event loop
 * keeps turning while a P-521 garbage token is being decrypted).
 */
import type * as NodeCrypto from 'node:crypto';
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

test('the event loop turns while a P-521 garbage token is being decrypted', async () => {
  const apiKey = await keyPair('p521', 'api');
  const verifier = await makeVerifier({ decryptionKeys: apiKey.privateJwk, cache: false });
  const epk = crypto.generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey.export({
    format: 'jwk',
  });
  // Warm the workers, so their start-up is not what is measured.
  await rejection(verifier.verify(garbageECDH(apiKey.kid, epk), at));
  // Structural rather than timed (timings stretch on a loaded machine): an agreement done on the
  // event loop completes inside verify()'s synchronous part and its microtasks, so no
  // setImmediate callback can run before the rejection, in any attempt; off the loop, turns run
  // while it waits. One attempt can still see none: when the worker's answer is already there in
  // the poll phase that precedes the first check phase (a loaded machine, a fast agreement), it is
  // read before any setImmediate callback. So the rule is over the attempts, not each one.
  const turnsSeen: number[] = [];
  for (let i = 0; i < 8; i++) {
    let turns = 0;
    let settled = false;
    const turn = (): void => {
      turns++;
      if (!settled) setImmediate(turn);
    };
    setImmediate(turn);
    const error = await rejection(verifier.verify(garbageECDH(apiKey.kid, epk), at));
    settled = true;
    expect(error.code).toBe('ERR_JWE_DECRYPTION_FAILED');
    turnsSeen.push(turns);
  }
  expect(Math.max(...turnsSeen)).toBeGreaterThan(0);
});
