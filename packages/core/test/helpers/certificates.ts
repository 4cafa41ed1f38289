/**
 * Real X.509 client certificates for the mTLS tests: self-signed P-256 certificates made by the
 * openssl CLI (node:crypto cannot issue certificates), with the thumbprint computed by openssl
 * too, so the code under test is checked against an independent implementation.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A certificate, its private key and its RFC 8705 thumbprint. */
export interface TestCertificate {
  /** The private key, PEM. */
  readonly key: string;
  /** The certificate, PEM. */
  readonly pem: string;
  readonly der: Buffer;
  /** The base64url SHA-256 of the DER, as openssl computes it (not the code under test). */
  readonly x5t: string;
}

/**
 * Makes a self-signed certificate for `/CN=<name>` in `dir` (valid one day).
 *
 * @example `const client = makeCertificate(tmp, 'client')`
 */
export function makeCertificate(dir: string, name: string): TestCertificate {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-subj',
      `/CN=${name}`,
      '-days',
      '1',
      '-keyout',
      key,
      '-out',
      cert,
    ]),
    { stdio: 'ignore' },
  );
  const fingerprint = execFileSync('openssl', [
    'x509',
    '-in',
    cert,
    '-noout',
    '-fingerprint',
    '-sha256',
  ])
    .toString()
    .trim()
    .replace(/^.*=/, '')
    .replace(/:/g, '');
  return {
    key: readFileSync(key, 'utf8'),
    pem: readFileSync(cert, 'utf8'),
    der: execFileSync('openssl', ['x509', '-in', cert, '-outform', 'DER']),
    x5t: Buffer.from(fingerprint, 'hex').toString('base64url'),
  };
}
