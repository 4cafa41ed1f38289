/**
 * Two Authorization header lines: Node keeps the first in `req.headers` and drops the second, so
 * core reads `rawHeaders` to see them (RFC 9110 §5.3: Authorization is not a list). The corpus
 * sends this through Express and Nest; these tests pin the core rule and a bare node:http server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import supertest from 'supertest';
import { extractBearerToken, TokenwardError } from '@tokenward/core';

function extractError(request: Parameters<typeof extractBearerToken>[0]): TokenwardError {
  try {
    extractBearerToken(request);
  } catch (error) {
    if (error instanceof TokenwardError) return error;
    throw error;
  }
  throw new Error('expected extractBearerToken to throw');
}

describe('extractBearerToken with rawHeaders', () => {
  test('two Authorization lines, whatever their case, are a 400 invalid_request', () => {
    const error = extractError({
      headers: { authorization: 'Bearer first' },
      rawHeaders: [
        'Authorization',
        'Bearer first',
        'Host',
        'api',
        'AUTHORIZATION',
        'Bearer second',
      ],
    });
    expect(error.code).toBe('ERR_REQUEST_MULTIPLE_TOKENS');
    expect(error.status).toBe(400);
    expect(error.error).toBe('invalid_request');
  });

  test('two lines are rejected even when neither is a bearer credential', () => {
    const error = extractError({
      headers: { authorization: 'Basic YTpi' },
      rawHeaders: ['authorization', 'Basic YTpi', 'authorization', 'Basic YzpkZA'],
    });
    expect(error.code).toBe('ERR_REQUEST_MULTIPLE_TOKENS');
  });

  test('one line is read from headers as before', () => {
    expect(
      extractBearerToken({
        headers: { authorization: 'Bearer abc' },
        rawHeaders: ['Authorization', 'Bearer abc', 'X-Authorization', 'Bearer other'],
      }),
    ).toBe('abc');
  });

  test("Fastify's request: the wrapped Node request's rawHeaders (raw.rawHeaders) are read", () => {
    const error = extractError({
      headers: { authorization: 'Bearer first' },
      raw: { rawHeaders: ['authorization', 'Bearer first', 'authorization', 'Bearer second'] },
    });
    expect(error.code).toBe('ERR_REQUEST_MULTIPLE_TOKENS');
    // The request's own rawHeaders come first.
    expect(
      extractBearerToken({
        headers: { authorization: 'Bearer abc' },
        rawHeaders: ['Authorization', 'Bearer abc'],
        raw: { rawHeaders: ['authorization', 'a', 'authorization', 'b'] },
      }),
    ).toBe('abc');
  });

  test('without rawHeaders (a plain RequestLike) nothing changes', () => {
    expect(extractBearerToken({ headers: { authorization: 'Bearer abc' } })).toBe('abc');
  });

  test('values are never taken for names (an odd-positioned "authorization" value)', () => {
    expect(
      extractBearerToken({
        headers: { authorization: 'Bearer abc', 'x-note': 'authorization' },
        rawHeaders: ['X-Note', 'authorization', 'Authorization', 'Bearer abc'],
      }),
    ).toBe('abc');
  });
});

describe('a bare node:http server', () => {
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let outcome: string;
      try {
        outcome = `token:${extractBearerToken(req)}`;
      } catch (error) {
        outcome = (error as TokenwardError).code;
      }
      res.end(JSON.stringify({ seen: req.headers.authorization, outcome }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('Node shows only the first line in headers; core still sees both', async () => {
    // superagent hands the array to Node's setHeader, which writes one line per value.
    const response = await supertest(url)
      .get('/')
      .set('Authorization', ['Bearer first', 'Bearer second'] as unknown as string);
    const body = response.text;
    expect(JSON.parse(body)).toEqual({
      seen: 'Bearer first',
      outcome: 'ERR_REQUEST_MULTIPLE_TOKENS',
    });
  });
});
