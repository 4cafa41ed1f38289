/**
 * The app's audit trail: tokenward's tamper-evident file sink in `AUDIT_DIR`. In dev mode it is on
 * by default, in `./.audit`, with keys generated there on first start (dev only: production keys
 * come from a secret store, named by `AUDIT_*_FILE` variables).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileAuditSink, type AuditOptions } from '@tokenward/core';
import type { AuditSettings } from '../config/app-config';

/** The key files of a dev trail, inside its directory. */
export const DEV_KEY_FILES = {
  chainKey: 'chain.key',
  signingKey: 'audit-ed25519.pem',
  publicKey: 'audit-ed25519.pub.pem',
  pseudonymKey: 'pseudonym.key',
} as const;

/**
 * The verifier's `audit` option for the settings: reads the key files (generating them first for
 * a dev trail) and opens the file sink.
 *
 * @example `const audit = auditOptionsFor({ directory: '.audit', generateKeys: true, … })`
 */
export function auditOptionsFor(settings: AuditSettings): AuditOptions {
  const { directory } = settings;
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  const keys = settings.generateKeys
    ? devKeys(directory)
    : {
        chainKey: settings.chainKeyFile as string,
        signingKey: settings.signingKeyFile as string,
        pseudonymKey: settings.pseudonymKeyFile as string,
      };
  const text = (path: string) => readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  return {
    sink: createFileAuditSink({
      directory: join(directory, 'trail'),
      chainKey: text(keys.chainKey),
      signingKey: readFileSync(keys.signingKey, 'utf8'),
    }),
    pseudonymizationKey: text(keys.pseudonymKey),
  };
}

/** The dev trail's key files, created on first start (owner-only permissions). */
function devKeys(directory: string): {
  chainKey: string;
  signingKey: string;
  pseudonymKey: string;
} {
  const path = (name: string) => join(directory, name);
  const secret = (name: string) => {
    if (!existsSync(path(name))) {
      writeFileSync(path(name), `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    }
  };
  secret(DEV_KEY_FILES.chainKey);
  secret(DEV_KEY_FILES.pseudonymKey);
  if (!existsSync(path(DEV_KEY_FILES.signingKey))) {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(
      path(DEV_KEY_FILES.signingKey),
      privateKey.export({ format: 'pem', type: 'pkcs8' }),
      { mode: 0o600 },
    );
    writeFileSync(path(DEV_KEY_FILES.publicKey), publicKey.export({ format: 'pem', type: 'spki' }));
  }
  return {
    chainKey: path(DEV_KEY_FILES.chainKey),
    signingKey: path(DEV_KEY_FILES.signingKey),
    pseudonymKey: path(DEV_KEY_FILES.pseudonymKey),
  };
}
