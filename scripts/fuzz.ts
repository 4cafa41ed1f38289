/**
 * Long fuzz runs: the properties of test/fuzz/verify.fuzz.test.ts with many more runs than CI.
 *
 *   pnpm fuzz                          # 1,000,000 runs per property, a random seed
 *   pnpm fuzz --runs 20000 --seed 42   # shorter, reproducible
 *
 * The properties run under Jest, exactly as in CI (same swc transform, sources of the workspace
 * packages), only with FUZZ_RUNS / FUZZ_SEED set. On failure fast-check prints the seed and the
 * path that replay the counterexample. On success this prints the per-property summary, to be
 * recorded in SECURITY.md.
 *
 * Run with ts-node (a root devDependency), transpile-only: `ts-node -T scripts/fuzz.ts`.
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Plain writes: this is a CLI's output, not logging (the lint rule bans console in sources).
const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

interface Args {
  runs: number;
  seed: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { runs: 1_000_000, seed: randomInt(2 ** 31 - 1) };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const n = Number(value);
    if ((flag !== '--runs' && flag !== '--seed') || !Number.isSafeInteger(n) || n < 0) {
      throw new TypeError(`usage: pnpm fuzz [--runs N] [--seed S]; got ${flag} ${value}`);
    }
    args[flag === '--runs' ? 'runs' : 'seed'] = n;
  }
  return args;
}

interface PropertyStats {
  runs: number;
  accepted: number;
  codes: Record<string, number>;
  slowestMs: number;
}

function main(): number {
  const { runs, seed } = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'tokenward-fuzz-'));
  const reportFile = join(dir, 'report.json');
  const started = Date.now();
  out(`fuzz: ${runs} runs per property, seed ${seed}`);
  const result = spawnSync(
    process.platform === 'win32' ? 'pnpm.cmd' : 'pnpm',
    ['exec', 'jest', '--coverage=false', '--testTimeout=86400000', 'test/fuzz'],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        FUZZ_RUNS: String(runs),
        FUZZ_SEED: String(seed),
        FUZZ_REPORT: reportFile,
      },
    },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  if (result.status !== 0) {
    err(`fuzz: FAILED after ${seconds} s (seed ${seed}); see fast-check's counterexample`);
    rmSync(dir, { recursive: true, force: true });
    return result.status ?? 1;
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
    properties: Record<string, PropertyStats>;
  };
  rmSync(dir, { recursive: true, force: true });
  let total = 0;
  out(`\nfuzz: passed in ${seconds} s, seed ${seed}, node ${process.version}`);
  for (const [name, stats] of Object.entries(report.properties)) {
    total += stats.runs;
    const codes = Object.entries(stats.codes)
      .sort((a, b) => b[1] - a[1])
      .map(([code, count]) => `${code} ${count}`)
      .join(', ');
    out(
      `- ${name}: ${stats.runs} runs, ${stats.accepted} accepted (same token), slowest ${stats.slowestMs.toFixed(1)} ms; ${codes}`,
    );
  }
  out(`fuzz: ${total} cases in total`);
  return 0;
}

process.exitCode = main();
