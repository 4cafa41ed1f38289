/**
 * Real trails for the CLI tests: events through createFileAuditSink with known counts, and the
 * key files the commands read.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileAuditSink, type AuditEvent } from '@tokenward/core';
import { cli } from './built-cli';

/** A trail on disk and its key files. */
export interface TrailFixture {
  readonly dir: string;
  readonly files: string[];
  readonly chainKeyFile: string;
  readonly publicKeyFile: string;
}

/**
 * Known content: `accepted` allowed authentications, of which `encrypted` were nested, plus
 * denials, plus `anomalies` detections (one token spread that blocked, one revoked-token reuse).
 */
export const COUNTS = {
  accepted: 30,
  encrypted: 27,
  expired: 5,
  missing: 4,
  forbidden: 3,
  anomalies: 2,
} as const;

/** Every event of the fixture trail. */
export const TOTAL_EVENTS =
  COUNTS.accepted + COUNTS.expired + COUNTS.missing + COUNTS.forbidden + COUNTS.anomalies;

/** The events of the fixture trail, in order, one second apart from 2026-12-01T10:00Z. */
export function fixtureEvents(): AuditEvent[] {
  const events: AuditEvent[] = [];
  let t = Date.UTC(2026, 11, 1, 10, 0, 0);
  const at = () => new Date((t += 1000)).toISOString();
  const base = { schema: 'tokenward.audit/1' as const, method: 'GET', route: '/messages/:id' };
  for (let i = 0; i < COUNTS.accepted; i++) {
    const nested = i < COUNTS.encrypted;
    events.push({
      ...base,
      time: at(),
      event: 'authn_token_valid',
      stage: 'authentication',
      outcome: 'allow',
      reason: 'ok',
      status: 200,
      issuer: 'https://issuer.example',
      client: i % 2 === 0 ? 'client-A-pseudonym000' : 'client-B-pseudonym000',
      encryption: nested ? { alg: 'RSA-OAEP-256', enc: 'A256GCM' } : 'none',
      signingAlg: nested ? 'RS256' : 'HS256',
      signingKeyId: 'sig-1',
      ...(nested && { decryptionKeyId: 'enc-1' }),
      lifetime: i < 2 ? 7200 : 600,
      ip: '198.51.100.1',
    });
  }
  for (let i = 0; i < COUNTS.expired; i++) {
    events.push({
      ...base,
      time: at(),
      event: 'authn_token_invalid',
      stage: 'authentication',
      outcome: 'deny',
      reason: 'ERR_TOKEN_EXPIRED',
      status: 401,
      ip: '203.0.113.9',
    });
  }
  for (let i = 0; i < COUNTS.missing; i++) {
    events.push({
      ...base,
      time: at(),
      event: 'authn_token_missing',
      stage: 'authentication',
      outcome: 'deny',
      reason: 'ERR_TOKEN_MISSING',
      status: 401,
      ip: '203.0.113.10',
    });
  }
  for (let i = 0; i < COUNTS.forbidden; i++) {
    events.push({
      ...base,
      route: '/admin/<script>alert(1)</script>',
      time: at(),
      event: 'authz_fail',
      stage: 'authorization',
      outcome: 'deny',
      reason: 'ERR_SCOPE_MISSING',
      status: 403,
      ip: '203.0.113.9',
    });
  }
  events.push(
    {
      schema: base.schema,
      time: at(),
      event: 'anomaly_token_spread',
      action: 'block',
      blocked: 'token',
      blockSeconds: 600,
      count: 4,
      threshold: 3,
      window: 300,
      ip: '203.0.113.11',
    },
    {
      schema: base.schema,
      time: at(),
      event: 'authn_token_reuse',
      action: 'alert',
      ip: '203.0.113.12',
    },
  );
  return events;
}

/** Writes the fixture trail (several files) and its key files into a fresh temporary folder. */
export async function writeFixtureTrail(): Promise<TrailFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-cli-'));
  const chainKey = randomBytes(32).toString('base64url');
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const sink = createFileAuditSink({
    directory: join(dir, 'trail'),
    chainKey,
    signingKey: privateKey,
    maxFileBytes: 6000,
  });
  const events = fixtureEvents();
  for (let i = 0; i < events.length; i += 7) await sink.write(events.slice(i, i + 7));
  await sink.close();
  const chainKeyFile = join(dir, 'chain.key');
  const publicKeyFile = join(dir, 'audit.pub.pem');
  writeFileSync(chainKeyFile, `${chainKey}\n`);
  writeFileSync(publicKeyFile, publicKey.export({ format: 'pem', type: 'spki' }));
  const files = readdirSync(join(dir, 'trail'))
    .sort()
    .map((n) => join(dir, 'trail', n));
  return { dir, files, chainKeyFile, publicKeyFile };
}

/** The key options of the commands for a fixture trail. */
export function keyArgs(trail: TrailFixture): string[] {
  return ['--chain-key-file', trail.chainKeyFile, '--public-key-file', trail.publicKeyFile];
}

/** Runs the CLI with `args` in this process, capturing output and the exit code. */
export async function run(
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await cli(args);
  return { ...result, code: result.code ?? 2 };
}
