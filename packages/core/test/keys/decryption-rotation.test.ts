/**
 * The decryption-key rotation procedure of docs/remote-keys.md, end to end with nested tokens
 * whose inner signature is checked against a remote JWK Set: accept both keys, move the issuer to
 * the new one, retire the old. Several decryption keys live at once, chosen by the JWE `kid`, and
 * nothing secret reaches the logger.
 */
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { createIssuer, createVerifier, type VerifierOptions } from '@tokenward/core';
import { rejection } from '../helpers/keys';
import { AUDIENCE, json, NOW, startIdP, useClock, type FakeIdP } from '../helpers/idp';

useClock();
const ISSUER = 'https://issuer.example.com/';
const at = { currentDate: NOW };

let idp: FakeIdP;
let signingPrivate: JWK;
let signingPublic: JWK;
let enc1: { privateJwk: JWK; publicJwk: JWK };
let enc2: { privateJwk: JWK; publicJwk: JWK };

async function encryptionKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ECDH-ES+A256KW', { extractable: true });
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'ECDH-ES+A256KW', use: 'enc' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'ECDH-ES+A256KW', use: 'enc' },
  };
}

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  signingPrivate = { ...(await exportJWK(privateKey)), kid: 'sig-1' };
  signingPublic = { ...(await exportJWK(publicKey)), kid: 'sig-1', alg: 'ES256', use: 'sig' };
  [enc1, enc2] = await Promise.all([encryptionKey('enc-1'), encryptionKey('enc-2')]);
});
beforeEach(async () => {
  idp = await startIdP();
  idp.on('/keys', json({ keys: [signingPublic] }));
});
afterEach(() => idp.close());

/** The issuer, encrypting to the public key it was given. */
const issuerEncryptingTo = (publicJwk: JWK) =>
  createIssuer({
    issuer: ISSUER,
    signingKey: signingPrivate,
    encryptionKey: publicJwk,
    audience: AUDIENCE,
  });

function resourceServer(decryptionKeys: JWK[], logs: unknown[]) {
  const options: VerifierOptions = {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUri: `${idp.url}/keys`,
    decryptionKeys: { keys: decryptionKeys },
    encryption: 'required',
    logger: {
      warn: (message, details) => logs.push({ message, details }),
      info: (message, details) => logs.push({ message, details }),
    },
  };
  return createVerifier(options);
}

it('accepts both keys during the rotation and only the new one after it', async () => {
  const logs: unknown[] = [];
  const issue = (publicJwk: JWK) =>
    issuerEncryptingTo(publicJwk).then((issuer) =>
      issuer.issue({ sub: 'alice' }, { currentDate: NOW }),
    );

  // Before: one key.
  const before = resourceServer([enc1.privateJwk], logs);
  const oldToken = await issue(enc1.publicJwk);
  await expect(before.verify(oldToken, at)).resolves.toMatchObject({
    encryption: expect.objectContaining({ kid: 'enc-1' }),
  });

  // 1. Accept both: every instance holds the old and the new private key.
  const during = resourceServer([enc1.privateJwk, enc2.privateJwk], logs);
  // 2. The issuer gets the new public key and encrypts to it; tokens already out use the old one.
  const newToken = await issue(enc2.publicJwk);
  await expect(during.verify(oldToken, at)).resolves.toMatchObject({ subject: 'alice' });
  await expect(during.verify(newToken, at)).resolves.toMatchObject({
    encryption: expect.objectContaining({ kid: 'enc-2' }),
  });

  // 3. Retire the old key once the last token encrypted to it has expired.
  const after = resourceServer([enc2.privateJwk], logs);
  await expect(after.verify(newToken, at)).resolves.toMatchObject({ token: newToken });
  const error = await rejection(after.verify(oldToken, at));
  expect(error.code).toBe('ERR_JWE_KEY_NOT_FOUND');
  expect(error.status).toBe(401);

  // Each verifier fetched the signing keys once; nothing secret was logged.
  expect(idp.hits('/keys')).toBe(3);
  const text = JSON.stringify(logs);
  for (const secret of [enc1.privateJwk.d, enc2.privateJwk.d, signingPrivate.d]) {
    expect(text).not.toContain(String(secret));
  }
  expect(text).not.toContain(oldToken.slice(0, 40));
  expect(text).not.toContain(newToken.slice(0, 40));
  expect(logs).toHaveLength(3); // one "fetched" line per verifier
});
