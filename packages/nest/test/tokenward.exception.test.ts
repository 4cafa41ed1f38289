import { Controller, Get, type INestApplication } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { InsufficientScopeError, InvalidTokenError, MissingTokenError } from '@tokenward/core';
import { TokenwardExceptionFilter, TokenwardHttpException, toHttpException } from '@tokenward/nest';
import request from 'supertest';
import { startApp } from './helpers';

describe('TokenwardHttpException', () => {
  it('carries status, RFC 6750 body, challenge and the core error', () => {
    const error = new InsufficientScopeError('ERR_SCOPE_MISSING', 'needs read', ['read']);
    const exception = new TokenwardHttpException(error);
    expect(exception.getStatus()).toBe(403);
    expect(exception.getResponse()).toEqual({
      error: 'insufficient_scope',
      error_description: 'needs read',
    });
    expect(exception.getHeaders()).toEqual({
      'WWW-Authenticate':
        'Bearer realm="api", error="insufficient_scope", error_description="needs read", scope="read"',
    });
    expect(exception.cause).toBe(error);
    expect(exception.code).toBe('ERR_SCOPE_MISSING');
    expect(exception.errorCode).toBe('ERR_SCOPE_MISSING');
    expect(exception.message).toBe('needs read');
  });

  it('has an empty body for a missing token (RFC 6750 §3.1)', () => {
    const exception = new TokenwardHttpException(new MissingTokenError());
    expect(exception.getStatus()).toBe(401);
    expect(exception.getResponse()).toEqual({});
    expect(exception.getHeaders()).toEqual({ 'WWW-Authenticate': 'Bearer realm="api"' });
  });

  it('toHttpException converts core errors only', () => {
    const core = new InvalidTokenError('ERR_TOKEN_EXPIRED', 'expired');
    const converted = toHttpException(core);
    expect(converted).toBeInstanceOf(TokenwardHttpException);
    expect(toHttpException(converted)).toBe(converted);
    const bug = new RangeError('bug');
    expect(toHttpException(bug)).toBe(bug);
  });
});

@Controller()
class ThrowingController {
  @Get('throw')
  throws() {
    throw new TokenwardHttpException(
      new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token expired'),
    );
  }
}

describe('TokenwardExceptionFilter', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("is needed when the exception does not come from the guard: Nest's filter drops headers", async () => {
    let url: string;
    ({ app, url } = await startApp({ controllers: [ThrowingController] }));
    const res = await request(url).get('/throw').expect(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'the token expired' });
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('sends status, body and WWW-Authenticate', async () => {
    let url: string;
    ({ app, url } = await startApp({
      controllers: [ThrowingController],
      providers: [{ provide: APP_FILTER, useClass: TokenwardExceptionFilter }],
    }));
    const res = await request(url).get('/throw').expect(401);
    expect(res.body).toEqual({ error: 'invalid_token', error_description: 'the token expired' });
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token expired"',
    );
  });
});
