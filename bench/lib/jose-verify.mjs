/* global Buffer, TextDecoder */
// Hand-wired jose 6 as the micro benchmarks run it: keys imported once as CryptoKeys (a raw secret
// would be re-imported on every call), `compactDecrypt` then `jwtVerify` for nested tokens.
import { jose } from './deps.mjs';
import { AUDIENCE, ISSUER, SCENARIOS } from './fixtures.mjs';

/** An async `(token) => jwtVerify result` for one scenario, keys imported in advance. */
export async function createJoseVerify(keys, scenarioName) {
  const scenario = SCENARIOS[scenarioName];
  const sig = scenario.sig;
  const sigKey =
    sig === 'HS256'
      ? await jose.importJWK(
          { kty: 'oct', k: Buffer.from(keys.secret).toString('base64url') },
          'HS256',
        )
      : await jose.importJWK(keys.sig[sig].jwk, sig);
  const decKey = scenario.enc
    ? await jose.importJWK(keys.enc[scenario.enc.alg].jwk, scenario.enc.alg)
    : undefined;
  const text = new TextDecoder();
  return async (token) => {
    const jws = decKey ? text.decode((await jose.compactDecrypt(token, decKey)).plaintext) : token;
    return jose.jwtVerify(jws, sigKey, { issuer: ISSUER, audience: AUDIENCE, algorithms: [sig] });
  };
}
