/** An ES module consumer: the CommonJS packages' named exports, imported from ESM. */
import { createVerifier, type AccessToken } from '@tokenward/core';
import { authenticate } from '@tokenward/express';
import { createTestIssuer } from '@tokenward/testing';

const testIssuer = await createTestIssuer();
const verifier = createVerifier(testIssuer.verifierOptions());
export const token: AccessToken = await verifier.verify(
  await testIssuer.issueNested({ scope: 'a' }),
);
export const handler = authenticate(verifier);
