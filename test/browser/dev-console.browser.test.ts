/**
 * The sample app's dev console (`GET /dev`) in a real headless Chromium (playwright-core driving
 * the system's Chromium, as the report test does), against the app in dev mode on 127.0.0.1:
 * mint, layers, a call to the API, copy as curl (and the curl line run for real), explain of a
 * refused token, the keyboard path, hostile claims shown as text, and the routes' guards (absent
 * in configured mode, refused on a non-loopback Host). Screenshots go to test-artifacts/.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { createApp, loadConfig, type DevIssuer } from '../../apps/resource-server/src';
import { DEV_ISSUER } from '../../apps/resource-server/src/config/runtime.module';

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium-headless-shell',
  '/usr/bin/chromium',
];
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const XSS = '<img src=x onerror=alert(1)>';
const CLOSE_SCRIPT = '</script><script>alert(2)</script>';

let browser: Browser;
let app: INestApplication;
let url: string;

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
  app = await createApp(loadConfig({ AUDIT: 'off' }), { logger: false });
  await app.listen(0, '127.0.0.1');
  url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** A console page, with every dialog, page error, console error and request it causes. */
async function openConsole() {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const seen = { dialogs: [] as string[], errors: [] as string[], requests: [] as string[] };
  page.on('dialog', (d) => {
    seen.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('pageerror', (e) => seen.errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  page.on('request', (r) => seen.requests.push(r.url()));
  const response = await page.goto(`${url}/dev`);
  expect(response?.status()).toBe(200);
  return { page, seen };
}

/** Waits until the element's text matches (playwright-core has no `expect`). */
async function textOf(page: Page, selector: string, pattern: RegExp): Promise<string> {
  // A function, not source text: the page's CSP refuses eval. The test project has no DOM
  // typings, hence the narrow view of `document`.
  await page.waitForFunction(
    ([sel, source]) => {
      type Doc = { querySelector(s: string): { textContent: string | null } | null };
      const doc = (globalThis as unknown as { document: Doc }).document;
      return new RegExp(source).test(doc.querySelector(sel)?.textContent ?? '');
    },
    [selector, pattern.source] as const,
  );
  return (await page.locator(selector).textContent()) as string;
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const png = await page.screenshot({ fullPage: true });
  writeFileSync(join(ARTIFACTS, name), png);
  expect(png.subarray(1, 4).toString()).toBe('PNG');
}

it('mints, shows the layers, calls GET /api/messages, copies a curl line that works, and explains a refused token', async () => {
  const { page, seen } = await openConsole();
  await page.fill('#scope', 'messages:read');
  await page.click('#mint');
  await textOf(page, '#claims', /messages:read/);
  const token = await page.inputValue('#token');
  expect(token.split('.')).toHaveLength(5);
  expect(await page.textContent('#outer-kind')).toMatch(/^JWE protected header/);
  const outer = JSON.parse((await page.textContent('#outer-header')) as string);
  expect(outer).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM' });
  expect(JSON.parse((await page.textContent('#inner-header')) as string)).toMatchObject({
    alg: 'ES256',
  });
  expect(JSON.parse((await page.textContent('#claims')) as string)).toMatchObject({
    sub: 'dev-user',
    scope: 'messages:read',
    aud: 'urn:tokenward:messages-api',
  });

  await page.selectOption('#route', 'GET /api/messages');
  await page.click('#call');
  expect(await textOf(page, '#call-status', /^\d{3}/)).toBe('200 OK');
  expect(await page.textContent('#call-headers')).toMatch(/^cache-control: no-store$/m);
  expect(JSON.parse((await page.textContent('#call-body')) as string)).toEqual(expect.any(Array));

  await page.click('#copy-curl');
  const curl = await page.inputValue('#curl');
  expect(curl).toBe(`curl -i -X GET -H 'Authorization: Bearer ${token}' '${url}/api/messages'`);
  // Run for real (asynchronously: the server answering it is this process).
  const { stdout } = await promisify(execFile)('sh', [
    '-c',
    `${curl} -s -o /dev/null -w '%{http_code}' --max-time 10`,
  ]);
  expect(stdout).toBe('200');
  await screenshot(page, 'dev-console.png');

  // An expired token: the claims stage refuses it, with the code tokenward explain prints.
  const expired = await (await fetch(`${url}/dev/token?invalid=expired&format=raw`)).text();
  await page.fill('#explain-token', expired);
  await page.click('#explain');
  expect(await textOf(page, '#explain-verdict', /\S/)).toBe('REFUSED: ERR_TOKEN_EXPIRED');
  expect(await page.locator('#stages li.stage-refused').textContent()).toMatch(
    /^claims refused ERR_TOKEN_EXPIRED: /,
  );
  const text = (await page.textContent('#explain-text')) as string;
  expect(text).toMatch(/^compact: JWE \(5 segments\)$/m);
  expect(text).toMatch(/^claims: REFUSED ERR_TOKEN_EXPIRED: .*: exp \d{4}-.*, now \d{4}-/m);
  expect(text).toMatch(/^verdict: REFUSED \(401 invalid_token, ERR_TOKEN_EXPIRED\)$/m);

  // A tampered signed token: the jws stage refuses it, and the later stages are not reached.
  const signed = await (
    await fetch(`${url}/dev/token?scope=messages:read&encrypted=false&format=raw`)
  ).text();
  const [h, p, s] = signed.split('.') as [string, string, string];
  const flipped = `${s.startsWith('A') ? 'B' : 'A'}${s.slice(1)}`;
  await page.fill('#explain-token', `${h}.${p}.${flipped}`);
  await page.click('#explain');
  expect(await textOf(page, '#explain-verdict', /JWS/)).toBe('REFUSED: ERR_JWS_SIGNATURE_INVALID');
  expect(await page.locator('#stages li').allTextContents()).toEqual([
    'compact ok JWS (3 segments)',
    'jwe skipped not encrypted',
    expect.stringMatching(/^jws refused ERR_JWS_SIGNATURE_INVALID: /),
    'claims not reached not reached',
  ]);
  await screenshot(page, 'dev-console-explain.png');

  expect(seen.dialogs).toEqual([]);
  expect(seen.errors).toEqual([]);
  expect(seen.requests.filter((r) => !r.startsWith(`${url}/`))).toEqual([]);
  await page.close();
}, 60_000);

it('works from the keyboard: Tab to the mint button, Enter mints; focus is visible', async () => {
  const { page, seen } = await openConsole();
  let focused = '';
  for (let i = 0; i < 20 && focused !== 'mint'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate<string>("document.activeElement?.id ?? ''");
  }
  expect(focused).toBe('mint');
  expect(await page.evaluate('getComputedStyle(document.activeElement).outlineStyle')).toBe(
    'solid',
  );
  await page.keyboard.press('Enter');
  await textOf(page, '#mint-status', /^minted a Bearer token \(encrypted\)$/);
  expect((await page.inputValue('#token')).split('.')).toHaveLength(5);
  // Every control has a label.
  const unlabelled = await page.evaluate(
    "[...document.querySelectorAll('input, select, textarea')].filter((el) => document.querySelector('label[for=\"' + el.id + '\"]') === null).map((el) => el.id)",
  );
  expect(unlabelled).toEqual([]);
  expect(seen.errors).toEqual([]);
  await page.close();
}, 60_000);

it('shows hostile tokens, claims and bodies as text: nothing runs, nothing is parsed as markup', async () => {
  const { page, seen } = await openConsole();
  const dev = app.get<DevIssuer>(DEV_ISSUER);
  const hostile = await dev.issuer.issueSigned({ sub: XSS, note: CLOSE_SCRIPT });
  await page.fill('#explain-token', hostile);
  await page.click('#explain');
  expect(await textOf(page, '#explain-verdict', /\S/)).toBe('ACCEPTED');
  expect(await page.textContent('#explain-text')).toContain(`sub ${JSON.stringify(XSS)}`);

  // Through the mint form: roles allow any printable name, markup included.
  await page.fill('#roles', `${CLOSE_SCRIPT.replace(/ /g, '')},<img/src=x/onerror=alert(3)>`);
  await page.check('#form-signed');
  await page.click('#mint');
  const claims = JSON.parse(await textOf(page, '#claims', /roles/));
  expect(claims.roles).toEqual([CLOSE_SCRIPT, '<img/src=x/onerror=alert(3)>']);
  expect(await page.textContent('#outer-kind')).toMatch(/^not encrypted/);

  // A response body echoing markup.
  await page.fill('#scope', 'messages:write');
  await page.click('#mint');
  await textOf(page, '#claims', /messages:write/);
  await page.selectOption('#route', 'POST /api/messages');
  await page.fill('#body', JSON.stringify({ text: XSS }));
  await page.click('#call');
  expect(await textOf(page, '#call-status', /^\d{3}/)).toBe('201 Created');
  expect(JSON.parse((await page.textContent('#call-body')) as string).text).toBe(XSS);

  expect(await page.locator('img').count()).toBe(0);
  expect(await page.locator('script').count()).toBe(1);
  expect(seen.dialogs).toEqual([]);
  expect(seen.errors).toEqual([]);
  await page.close();
}, 60_000);

it('binds a token to a DPoP key made in the page and calls the API with a fresh proof', async () => {
  const dpopApp = await createApp(loadConfig({ AUDIT: 'off', TOKENWARD_DPOP: 'allowed' }), {
    logger: false,
  });
  try {
    await dpopApp.listen(0, '127.0.0.1');
    const base = (await dpopApp.getUrl()).replace('[::1]', '127.0.0.1');
    const page = await browser.newPage();
    await page.goto(`${base}/dev`);
    await page.check('#dpop');
    await page.click('#mint');
    await textOf(page, '#mint-status', /^minted a DPoP token/);
    const claims = JSON.parse(await textOf(page, '#claims', /jkt/));
    expect(claims.cnf.jkt).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Explain has no request to check a proof against: the binding stage refuses it.
    await page.click('#explain-minted');
    await page.click('#explain');
    expect(await textOf(page, '#explain-verdict', /\S/)).toMatch(/^REFUSED: ERR_/);
    expect(await page.textContent('#explain-text')).toMatch(/^binding: REFUSED ERR_/m);
    await page.selectOption('#route', 'GET /api/me');
    await page.click('#call');
    expect(await textOf(page, '#call-status', /^\d{3}/)).toBe('200 OK');
    // A second call needs, and gets, a proof of its own (a replayed one is refused).
    await page.evaluate("document.getElementById('call-status').textContent = ''");
    await page.click('#call');
    expect(await textOf(page, '#call-status', /^\d{3}/)).toBe('200 OK');
    await page.click('#copy-curl');
    expect(await page.inputValue('#curl')).toMatch(
      /^curl -i -X GET -H 'Authorization: DPoP [^']+' -H 'DPoP: [^']+' '/,
    );
    await page.close();
  } finally {
    await dpopApp.close();
  }
}, 60_000);

describe('the routes', () => {
  it('serve the page with a nonce-only CSP, and explain only JSON bodies with a token string', async () => {
    const page = await request(url)
      .get('/dev')
      .expect(200)
      .expect('Content-Type', /text\/html/);
    const csp = page.headers['content-security-policy'] as string;
    const nonce = /script-src 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(csp).toBe(
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    expect(page.text.match(/<script nonce="([^"]+)">/)?.[1]).toBe(nonce);
    expect(page.text).not.toMatch(/https?:\/\/|src=/);
    const next = await request(url).get('/dev').expect(200);
    expect(next.headers['content-security-policy']).not.toBe(csp);

    await request(url)
      .post('/dev/explain')
      .type('text/plain')
      .send('{"token":"a.b.c"}')
      .expect(400);
    for (const body of [{}, { token: 1 }, { token: '' }, { token: 'a'.repeat(16_385) }]) {
      const res = await request(url).post('/dev/explain').send(body).expect(400);
      expect(res.body.message).toMatch(/^token: /);
    }
    const garbage = await request(url).post('/dev/explain').send({ token: 'abc' }).expect(200);
    expect(garbage.body).toMatchObject({ accepted: false, layers: {} });
    expect(garbage.body.stages[0]).toMatchObject({ stage: 'compact', status: 'refused' });
  });

  it('refuse a Host that is not this machine (403), like dev mode refuses a non-loopback HOST', async () => {
    const port = new URL(url).port;
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      '10.0.0.1',
      `127.0.0.1.nip.io:${port}`,
    ]) {
      await request(url).get('/dev').set('Host', host).expect(403);
      await request(url).post('/dev/explain').set('Host', host).send({ token: 'a' }).expect(403);
    }
    for (const host of [`localhost:${port}`, `[::1]:${port}`, '127.0.0.1', 'acme.localhost']) {
      await request(url).get('/dev').set('Host', host).expect(200);
    }
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/HOST: dev mode/);
  });

  describe('in configured mode', () => {
    let issuer: TestIssuer;
    let configured: INestApplication;
    beforeAll(async () => {
      issuer = await createTestIssuer({ signingAlgorithm: 'ES256' });
      await issuer.start();
      configured = await createApp(
        loadConfig({
          AUDIT: 'off',
          TOKENWARD_ISSUER: issuer.issuer,
          TOKENWARD_AUDIENCE: issuer.audience,
          TOKENWARD_JWKS_URI: issuer.jwksUri as string,
        }),
        { logger: false },
      );
      await configured.listen(0, '127.0.0.1');
    });
    afterAll(async () => {
      await configured?.close();
      await issuer?.stop();
    });

    it('do not exist (404)', async () => {
      const base = (await configured.getUrl()).replace('[::1]', '127.0.0.1');
      await request(base).get('/dev').expect(404);
      await request(base).post('/dev/explain').send({ token: 'a.b.c' }).expect(404);
      await request(base).get('/dev/token').expect(404);
    });
  });
});
