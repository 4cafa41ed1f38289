/**
 * `tokenward report`: numbers from a real trail with known content, the period filter, the
 * integrity verdict, hostile input (garbage, huge lines, other schema versions, HTML in values),
 * and usage errors.
 */
import { readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ComplianceReport } from '../src';
import {
  COUNTS,
  run,
  TOTAL_EVENTS,
  writeFixtureTrail,
  type TrailFixture,
  keyArgs,
} from './trail-fixture';

let trail: TrailFixture;
beforeAll(async () => {
  trail = await writeFixtureTrail();
});
afterAll(() => rmSync(trail.dir, { recursive: true, force: true }));

const keys = () => keyArgs(trail);
const json = async (args: string[]) => {
  const result = await run(['report', '--format', 'json', ...args]);
  expect(result.stderr).toBe('');
  return { ...result, report: JSON.parse(result.stdout) as ComplianceReport };
};

describe('tokenward report', () => {
  it('counts decisions, invalid attempts, coverage, keys and lifetimes from the trail', async () => {
    const { code, report } = await json([
      ...keys(),
      '--max-token-lifetime',
      '3600',
      ...trail.files,
    ]);
    expect(code).toBe(0);
    const denied = COUNTS.expired + COUNTS.missing + COUNTS.forbidden;
    expect(report.decisions.total).toEqual({ allow: COUNTS.accepted, deny: denied });
    expect(report.invalid.byReason).toEqual([
      { reason: 'ERR_TOKEN_EXPIRED', status: 401, count: COUNTS.expired },
      { reason: 'ERR_TOKEN_MISSING', status: 401, count: COUNTS.missing },
      { reason: 'ERR_SCOPE_MISSING', status: 403, count: COUNTS.forbidden },
    ]);
    expect(report.invalid.byIp).toEqual([
      { ip: '203.0.113.9', count: COUNTS.expired + COUNTS.forbidden },
      { ip: '203.0.113.10', count: COUNTS.missing },
    ]);
    expect(report.encryption).toMatchObject({
      accepted: COUNTS.accepted,
      encrypted: COUNTS.encrypted,
      coverage: COUNTS.encrypted / COUNTS.accepted,
    });
    expect(report.encryption.algorithms).toEqual(
      expect.arrayContaining([
        { kind: 'jwe', alg: 'RSA-OAEP-256 / A256GCM', count: COUNTS.encrypted, weak: null },
        expect.objectContaining({
          kind: 'jws',
          alg: 'HS256',
          count: COUNTS.accepted - COUNTS.encrypted,
          weak: expect.stringContaining('shared-secret'),
        }),
      ]),
    );
    expect(report.keys.map((k) => [k.kind, k.kid, k.count])).toEqual([
      ['signing', 'sig-1', COUNTS.accepted],
      ['decryption', 'enc-1', COUNTS.encrypted],
    ]);
    expect(report.lifetimes).toMatchObject({
      policy: 3600,
      counted: COUNTS.accepted,
      overPolicy: 2,
      max: 7200,
    });
    expect(report.lifecycle).toEqual([
      { kind: 'anomaly_token_spread', reason: 'block token', count: 1 },
      { kind: 'authn_token_reuse', reason: 'alert', count: 1 },
    ]);
    expect(report.integrity).toMatchObject({
      checked: true,
      ok: true,
      events: TOTAL_EVENTS,
      sealed: true,
    });
    expect(report.sources).toMatchObject({
      events: TOTAL_EVENTS,
      unknownSchema: 0,
      malformed: 0,
      tooLong: 0,
    });
  });

  it('--key-states gives each decryption key its rotation state and flags a retiring key used after its until', async () => {
    const write = (name: string, content: unknown) => {
      const path = join(trail.dir, name);
      writeFileSync(path, JSON.stringify(content));
      return path;
    };
    const stateOf = async (file: string) => {
      const { code, report } = await json(['--key-states', file, ...trail.files]);
      expect(code).toBe(0);
      return report.keys.map((k) => [k.kind, k.kid, k.state, k.flag]);
    };
    // The trail decrypts with enc-1 from 10:00:01 to 10:00:27 (fixture).
    expect(
      await stateOf(
        write('retiring.json', {
          keys: [{ kid: 'enc-1', kty: 'oct', state: 'retiring', until: '2026-12-01T10:00:10Z' }],
        }),
      ),
    ).toEqual([
      ['signing', 'sig-1', null, null],
      ['decryption', 'enc-1', 'retiring until 2026-12-01T10:00:10.000Z', 'used after its until'],
    ]);
    expect(await stateOf(write('active.json', [{ kid: 'enc-1', key: {} }]))).toContainEqual([
      'decryption',
      'enc-1',
      'active',
      null,
    ]);
    expect(await stateOf(write('other.json', [{ kid: 'enc-2' }]))).toContainEqual([
      'decryption',
      'enc-1',
      'not configured',
      'a token was decrypted with a key the configuration does not name',
    ]);
    const bad = await run([
      'report',
      '--format',
      'json',
      '--key-states',
      write('bad.json', [{ kid: 'enc-1', state: 'old' }]),
      ...trail.files,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('state must be next, active or retiring');
  });

  it('filters by --from (inclusive) and --to (exclusive)', async () => {
    const { report } = await json([
      '--from',
      '2026-12-01T10:00:11Z',
      '--to',
      '2026-12-01T10:00:21Z',
      ...trail.files,
    ]);
    expect(report.sources.events).toBe(10);
    expect(report.sources.outsidePeriod).toBe(TOTAL_EVENTS - 10);
    expect(report.integrity).toEqual({ checked: false });
  });

  it('a tampered trail still gives the report, with exit code 1 and the first bad line', async () => {
    const file = trail.files[0] as string;
    const original = readFileSync(file, 'utf8');
    try {
      writeFileSync(file, original.replace('"status":200', '"status":500'));
      const { code, report } = await json([...keys(), ...trail.files]);
      expect(code).toBe(1);
      expect(report.integrity).toMatchObject({
        checked: true,
        ok: false,
        firstProblem: expect.stringMatching(/:2: edited: /),
      });
    } finally {
      writeFileSync(file, original);
    }
  });

  it('counts garbage, over-long (5 MB) and other-schema lines without failing', async () => {
    const hostile = join(trail.dir, 'hostile.jsonl');
    writeFileSync(hostile, 'not json\n[1,2]\n');
    appendFileSync(
      hostile,
      `${JSON.stringify({ schema: 'tokenward.audit/9', time: '2026-12-01T10:00:00Z', outcome: 'allow' })}\n`,
    );
    appendFileSync(hostile, `{"x":"${'a'.repeat(5 * 1024 * 1024)}"}\n`);
    appendFileSync(hostile, '\n');
    const { code, report } = await json([hostile]);
    expect(code).toBe(0);
    expect(report.sources).toMatchObject({ events: 0, malformed: 3, unknownSchema: 1, tooLong: 1 });
  });

  it('escapes trail values in HTML and Markdown', async () => {
    const htmlReport = await run(['report', '--format', 'html', ...trail.files]);
    expect(htmlReport.code).toBe(0);
    expect(htmlReport.stdout).not.toContain('<script>');
    expect(htmlReport.stdout).toContain('/admin/&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(htmlReport.stdout).not.toMatch(/<link|src=|https?:\/\/(?!issuer\.example)/);
    const md = await run(['report', '--format', 'md', ...trail.files]);
    expect(md.stdout).toContain('\\<script\\>');
    expect(md.stdout).toContain('## Invalid access attempts');
  });

  it('usage and I/O errors: exit code 2 with one line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--format', 'pdf', ...trail.files], /--format: expected html, md or json/],
      [['--from', 'yesterday', ...trail.files], /--from: not an ISO 8601 date/],
      [
        ['--from', '2026-12-02', '--to', '2026-12-01', ...trail.files],
        /--from must be before --to/,
      ],
      [['--chain-key-file', trail.chainKeyFile, ...trail.files], /go together/],
      [['--max-token-lifetime', '-5', ...trail.files], /--max-token-lifetime/],
      [[join(trail.dir, 'missing.jsonl')], /cannot read a trail file \(ENOENT\)/],
      [
        ['--out', join(trail.dir, 'no', 'such', 'dir', 'r.html'), ...trail.files],
        /--out: cannot write/,
      ],
    ];
    for (const [args, message] of cases) {
      const result = await run(['report', ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
