/**
 * The HTML compliance report in a real headless Chromium (playwright-core driving the system's
 * Chromium): the sections render with the trail's numbers, the charts draw one bar group per
 * bucket, the page loads nothing from the network, and a screenshot is kept as a test artifact
 * (test-artifacts/report.png).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import {
  COUNTS,
  run,
  TOTAL_EVENTS,
  writeFixtureTrail,
  type TrailFixture,
} from '../../packages/cli/test/trail-fixture';

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium-headless-shell',
  '/usr/bin/chromium',
];
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

let trail: TrailFixture;
let browser: Browser;

beforeAll(async () => {
  const executablePath = CANDIDATES.find((p): p is string => p !== undefined && existsSync(p));
  if (executablePath === undefined) {
    throw new Error(
      'No Chromium found (CHROMIUM_PATH, /usr/bin/chromium-headless-shell, /usr/bin/chromium): install the Debian package chromium-headless-shell (.ci/run does)',
    );
  }
  browser = await chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  trail = await writeFixtureTrail();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (trail) rmSync(trail.dir, { recursive: true, force: true });
});

it('renders every section with the trail numbers, offline, and saves a screenshot', async () => {
  const out = join(trail.dir, 'report.html');
  const result = await run([
    'report',
    '--format',
    'html',
    '--out',
    out,
    '--max-token-lifetime',
    '3600',
    '--chain-key-file',
    trail.chainKeyFile,
    '--public-key-file',
    trail.publicKeyFile,
    ...trail.files,
  ]);
  expect(result.code).toBe(0);

  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(out).href);

  const headings = await page.locator('h2').allTextContents();
  expect(headings).toEqual([
    'Period and sources',
    'Decisions over time',
    'Invalid access attempts',
    'Access by client and route',
    'Encryption coverage and algorithms',
    'Keys in use',
    'Token lifetimes',
    'Revocations, replays, rate limits and anomalies',
    'Audit pipeline health',
    'Chain integrity',
  ]);
  const denied = COUNTS.expired + COUNTS.missing + COUNTS.forbidden;
  expect(await page.locator('#allowed').textContent()).toBe(String(COUNTS.accepted));
  expect(await page.locator('#denied').textContent()).toBe(String(denied));
  expect(await page.locator('#invalid-total').textContent()).toBe(String(denied));
  expect(await page.locator('#coverage').textContent()).toBe(
    `${((COUNTS.encrypted / COUNTS.accepted) * 100).toFixed(1)} %`,
  );
  expect(await page.locator('#over-policy').textContent()).toBe('2');
  expect(await page.locator('#integrity-verdict').textContent()).toMatch(
    new RegExp(`^Intact: ${TOTAL_EVENTS} events, sealed`),
  );
  // All the events fall in one hour: one bar group; three reasons: three horizontal bars.
  expect(await page.locator('#decisions svg g.bar').count()).toBe(1);
  expect(await page.locator('#invalid svg g.hbar').count()).toBe(3);
  // The hostile route is shown as text, not run.
  expect(
    await page.locator('#access td', { hasText: '/admin/<script>alert(1)</script>' }).count(),
  ).toBe(1);
  expect(await page.locator('script').count()).toBe(0);
  expect(await page.locator('.controls').first().textContent()).toContain('PCI DSS v4 10.2');
  expect(requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'))).toEqual([]);

  mkdirSync(ARTIFACTS, { recursive: true });
  const png = await page.screenshot({ fullPage: true });
  writeFileSync(join(ARTIFACTS, 'report.png'), png);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  await page.close();
}, 60_000);
