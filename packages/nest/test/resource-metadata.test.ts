/**
 * TokenwardResourceMetadataModule on Nest's Express and Fastify platforms, served on 127.0.0.1:
 * the RFC 9728 document at exactly the verifier's well-known URL (outside the global guard and
 * the global prefix), other spellings of that URL answered 404, and `resource_metadata` on the
 * guarded routes' challenges. Requests go out through node:http with the raw request target.
 */
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { ExpressAdapter } from '@nestjs/platform-express';
import { request } from 'node:http';
import { anyOf, requireAnyScope, requireScopes, type VerifierOptions } from '@tokenward/core';
import {
  Scopes,
  UsePolicies,
  TokenwardModule,
  TokenwardResourceMetadataModule,
  type TokenwardResourceMetadataOptions,
} from '@tokenward/nest';
import type { TestIssuer } from '@tokenward/testing';
import { testIssuer } from './helpers';

const WELL_KNOWN = '/.well-known/oauth-protected-resource';
const RESOURCE = 'https://api.example.com/mcp';
const METADATA = `resource_metadata="https://api.example.com${WELL_KNOWN}/mcp"`;

@Controller('messages')
class MessagesController {
  @Scopes('messages:read')
  @Get()
  list() {
    return { ok: true };
  }

  @UsePolicies(anyOf(requireScopes('messages:write'), requireAnyScope('admin', 'messages:admin')))
  @Get('admin')
  admin() {
    return { ok: true };
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request with `path` as the raw request target. */
function send(base: string, path: string, method = 'GET', headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(base);
  return new Promise<Answer>((resolve, reject) => {
    const req = request({ hostname, port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const PLATFORMS = [
  { label: 'Express', adapter: () => new ExpressAdapter() },
  { label: 'Fastify', adapter: () => new FastifyAdapter() },
];

let issuer: TestIssuer;
beforeAll(async () => {
  issuer = await testIssuer();
});

async function start(
  adapter: ExpressAdapter | FastifyAdapter,
  options: Partial<VerifierOptions>,
  metadata: TokenwardResourceMetadataOptions,
): Promise<{ app: INestApplication; url: string }> {
  @Module({
    imports: [
      TokenwardModule.forRoot(issuer.verifierOptions({ metrics: false, ...options })),
      TokenwardResourceMetadataModule.forRoot(metadata),
    ],
    controllers: [MessagesController],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, adapter, { logger: false });
  app.setGlobalPrefix('api');
  // A module that refuses to initialise fails listen(): close what was created anyway.
  await app.listen(0, '127.0.0.1').catch(async (error: unknown) => {
    await app.close().catch(() => undefined);
    throw error;
  });
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

describe.each(PLATFORMS)('on $label', ({ adapter }) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await start(
      adapter(),
      { resource: RESOURCE, tokenSources: { query: true } },
      { scopes: ['messages:read', 'messages:write'], maxAge: 300 },
    ));
  });
  afterAll(() => app.close());

  it('serves the document at the path-suffixed URL, outside the guard and the prefix', async () => {
    const answer = await send(url, `${WELL_KNOWN}/mcp`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['cache-control']).toBe('public, max-age=300');
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(answer.text)).toEqual({
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['messages:read', 'messages:write'],
      bearer_methods_supported: ['header', 'query'],
    });
  });

  it('answers HEAD without a body', async () => {
    const answer = await send(url, `${WELL_KNOWN}/mcp`, 'HEAD');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe('');
  });

  it.each([
    WELL_KNOWN,
    `${WELL_KNOWN}/`,
    `${WELL_KNOWN}/mcp/`,
    `${WELL_KNOWN}/MCP`,
    `${WELL_KNOWN}/mcp?x=1`,
    `${WELL_KNOWN}/mcp?`,
    `${WELL_KNOWN}/other`,
    `${WELL_KNOWN}/../x`,
    `//.well-known/oauth-protected-resource/mcp`,
    `/api${WELL_KNOWN}/mcp`,
  ])('answers %s with 404', async (path) => {
    const answer = await send(url, path);
    expect(answer.status).toBe(404);
    expect(answer.text).not.toContain('authorization_servers');
  });

  it('puts resource_metadata on a missing-token 401, which has no error attribute', async () => {
    const answer = await send(url, '/api/messages');
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toBe(`Bearer realm="api", ${METADATA}`);
  });

  it('puts resource_metadata on an insufficient-scope 403', async () => {
    const token = await issuer.issueNested({ scope: 'messages:write' });
    const answer = await send(url, '/api/messages', 'GET', { authorization: `Bearer ${token}` });
    expect(answer.status).toBe(403);
    expect(answer.headers['www-authenticate']).toContain(METADATA);
    expect(answer.headers['www-authenticate']).toContain('error="insufficient_scope"');
  });
});

describe.each(PLATFORMS)('start-up on $label', ({ adapter }) => {
  it('refuses to start when the verifier has no resource', async () => {
    await expect(start(adapter(), {}, {})).rejects.toThrow(/no `resource` option/);
  });

  it('refuses to start with an invalid option', async () => {
    await expect(start(adapter(), { resource: RESOURCE }, { scopes: ['a b'] })).rejects.toThrow(
      /^scopesSupported/,
    );
    await expect(start(adapter(), { resource: RESOURCE }, { maxAge: -5 })).rejects.toThrow(
      /^maxAge/,
    );
  });

  it('collects scopes_supported from the routes when no list is given', async () => {
    const { app, url } = await start(adapter(), { resource: RESOURCE }, {});
    try {
      const answer = await send(url, `${WELL_KNOWN}/mcp`);
      expect(JSON.parse(answer.text).scopes_supported).toEqual([
        'admin',
        'messages:admin',
        'messages:read',
        'messages:write',
      ]);
    } finally {
      await app.close();
    }
  });

  it('serves the root URL for a resource without a path', async () => {
    const { app, url } = await start(adapter(), { resource: 'https://api.example.com' }, {});
    try {
      const answer = await send(url, WELL_KNOWN);
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.text)).toMatchObject({ resource: 'https://api.example.com' });
      expect((await send(url, `${WELL_KNOWN}/`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});
