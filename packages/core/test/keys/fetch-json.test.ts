/**
 * The bounded GET under every remote key source (lib/fetch-json.ts), against a real HTTP server on
 * 127.0.0.1: which URLs may be fetched at all, and each way an answer is refused.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import {
  fetchJSON,
  FetchJSONError,
  insecureURLReason,
  isLoopbackURL,
} from '../../src/lib/fetch-json';
import { huge, json, raw, redirect, reset, stall, startIdP, type FakeIdP } from '../helpers/idp';

const limits = { timeoutMs: 200, maxBytes: 1024 };
let idp: FakeIdP;

beforeEach(async () => {
  idp = await startIdP();
});
afterEach(() => idp.close());

async function failure(url: string, options = limits): Promise<FetchJSONError> {
  try {
    await fetchJSON(new URL(url), options);
  } catch (error) {
    expect(error).toBeInstanceOf(FetchJSONError);
    return error as FetchJSONError;
  }
  throw new Error('expected fetchJSON to fail');
}

describe('which URLs may be fetched', () => {
  it.each([
    ['https://idp.example.com/jwks', undefined],
    ['http://127.0.0.1:8080/jwks', undefined],
    ['http://[::1]/jwks', undefined],
    ['http://LOCALHOST/jwks', undefined],
    ['http://idp.example.com/jwks', /must use https/],
    ['http://127.0.0.2/jwks', /must use https/],
    ['http://localhost.example.com/jwks', /must use https/],
    ['ftp://idp.example.com/jwks', /must use https/],
    ['file:///etc/passwd', /must use https/],
    ['https://user:secret@idp.example.com/jwks', /must not carry credentials/],
    ['https://idp.example.com/jwks#frag', /must not have a fragment/],
  ])('%s', (url, reason) => {
    const result = insecureURLReason(new URL(url));
    if (reason === undefined) expect(result).toBeUndefined();
    else expect(result).toMatch(reason);
  });

  it('treats only 127.0.0.1, ::1 and localhost as loopback', () => {
    expect(isLoopbackURL(new URL('http://127.0.0.1'))).toBe(true);
    expect(isLoopbackURL(new URL('http://[::1]:1'))).toBe(true);
    expect(isLoopbackURL(new URL('http://localhost'))).toBe(true);
    expect(isLoopbackURL(new URL('http://0.0.0.0'))).toBe(false);
    expect(isLoopbackURL(new URL('http://[::ffff:127.0.0.1]'))).toBe(false);
  });

  it('SD-21: refuses an insecure URL without connecting', async () => {
    const error = await failure('http://idp.example.com/jwks');
    expect(error.reason).toBe('insecure-url');
  });
});

describe('answers', () => {
  it('parses a JSON object', async () => {
    idp.on('/ok', json({ keys: [] }));
    await expect(fetchJSON(new URL(`${idp.url}/ok`), limits)).resolves.toEqual({ keys: [] });
    expect(idp.hits('/ok')).toBe(1);
  });

  it('SD-22: accepts a body of exactly maxBytes and refuses one byte more', async () => {
    const body = (n: number) => `{"a":"${'x'.repeat(n - 8)}"}`;
    idp.on('/exact', raw(body(1024)));
    idp.on('/over', raw(body(1025)));
    await expect(fetchJSON(new URL(`${idp.url}/exact`), limits)).resolves.toEqual({
      a: 'x'.repeat(1024 - 8),
    });
    expect((await failure(`${idp.url}/over`)).reason).toBe('too-large');
  });

  it.each([
    ['a redirect', redirect('/ok', 307), 'redirect', 307],
    ['an error status', json({}, 503), 'status', 503],
    ['a 204', json({}, 204), 'status', 204],
    ['garbage', raw('}{'), 'invalid-json', 200],
    ['an encoded body', raw('{}', { 'content-encoding': 'br' }), 'invalid-json', 200],
    ['a string', raw('"keys"'), 'invalid-json', 200],
    ['null', raw('null'), 'invalid-json', 200],
    ['a huge body', huge(10 * 1024 * 1024, false), 'too-large', 200],
  ])('refuses %s', async (_name, behaviour, reason, status) => {
    idp.on('/x', behaviour);
    const error = await failure(`${idp.url}/x`);
    expect(error.reason).toBe(reason);
    expect(error.status).toBe(status);
    expect(error.message).toContain(`${idp.url}/x`);
    expect(idp.hits('/x')).toBe(1);
  });

  it('SD-22: times out a stalled server', async () => {
    idp.on('/x', stall);
    const started = performance.now();
    const error = await failure(`${idp.url}/x`);
    expect(error.reason).toBe('timeout');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('times out a server that sends headers and then stalls the body', async () => {
    idp.on('/x', (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"keys":');
    });
    expect((await failure(`${idp.url}/x`)).reason).toBe('timeout');
  });

  it('reports a reset connection and a body that breaks off', async () => {
    idp.on('/reset', reset);
    expect((await failure(`${idp.url}/reset`)).reason).toBe('network');
    idp.on('/cut', (request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write('{"keys":', () => request.socket.destroy());
    });
    expect((await failure(`${idp.url}/cut`)).reason).toBe('network');
  });

  it('reports a refused connection', async () => {
    // A port that was just free: nothing listens on it any more.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const error = await failure(`http://127.0.0.1:${port}/jwks`);
    expect(error.reason).toBe('network');
    expect(error.message).toContain('ECONNREFUSED');
  });
});
