/**
 * The sample resource server as an HTTP API, in dev mode on 127.0.0.1:0: the headers on every
 * response, the strict `/dev/token` query (including the deliberately invalid demo tokens) and
 * the bounded message store.
 */
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  createApp,
  DEV_ISSUER,
  INVALID_DEMO_KINDS,
  loadConfig,
  MAX_MESSAGES,
  MAX_TEXT_LENGTH,
  type DevIssuer,
} from '../../apps/resource-server/src';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

describe('resource server API', () => {
  let app: INestApplication;
  let url: string;
  let dev: DevIssuer;

  beforeAll(async () => {
    app = await createApp(loadConfig({ AUDIT: 'off' }), { logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
    dev = app.get<DevIssuer>(DEV_ISSUER);
  });
  afterAll(() => app.close());

  describe('headers on every response', () => {
    const cases: [string, (token: string) => request.Test, number][] = [
      ['200 /health', () => request(url).get('/health'), 200],
      ['200 /api/me', (t) => request(url).get('/api/me').set(bearer(t)), 200],
      ['401 without a token', () => request(url).get('/api/me'), 401],
      ['401 with a bad token', () => request(url).get('/api/me').set(bearer('a.b.c')), 401],
      [
        '400 malformed Authorization',
        () => request(url).get('/api/me').set('Authorization', 'Bearer a b'),
        400,
      ],
      [
        '403 missing scope',
        (t) => request(url).post('/api/messages').set(bearer(t)).send({ text: 'x' }),
        403,
      ],
      [
        '400 malformed JSON',
        (t) =>
          request(url)
            .post('/api/messages')
            .set(bearer(t))
            .set('Content-Type', 'application/json')
            .send('{"text":'),
        400,
      ],
      ['404 unknown route', () => request(url).get('/no/such/route'), 404],
      ['400 /dev/token', () => request(url).get('/dev/token?nope=1'), 400],
    ];

    it.each(cases)('%s: no-store, nosniff, no X-Powered-By', async (_name, send, status) => {
      // Reader token: enough for /api/me, one scope short for POST /api/messages (403).
      const reader = await dev.issuer.issueNested({ scope: 'messages:read' });
      const res = await send(reader);
      expect(res.status).toBe(status);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('GET /dev/token query', () => {
    it.each([
      ['sub=a&sub=b', 'repeated query parameter(s): sub'],
      ['scope=messages:read&scope=messages:write', 'repeated query parameter(s): scope'],
      ['format=raw&format=raw', 'repeated query parameter(s): format'],
      ['sub[x]=a', 'unknown query parameter(s): "sub[x]"'],
      ['scopes=messages:read&role=admin', 'unknown query parameter(s): "scopes", "role"'],
      ['format=xml', 'format: expected one of json, raw'],
      ['invalid=broken', 'invalid: expected one of expired, not-yet-valid, wrong-audience'],
      ['dpop_jkt=short', 'dpop_jkt: expected the SHA-256 JWK thumbprint'],
    ])('answers 400 to ?%s, saying why', async (query, message) => {
      const res = await request(url).get(`/dev/token?${query}`).expect(400);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(res.body.message).toContain(message);
    });

    it('names every allowed parameter when refusing an unknown one', async () => {
      const res = await request(url).get('/dev/token?audience=x').expect(400);
      expect(res.body.message).toBe(
        'unknown query parameter(s): "audience"; expected scope, roles, sub, encrypted, format, invalid, dpop_jkt',
      );
    });

    it('dpop_jkt binds the token to that key (token_type DPoP), which this API, without DPoP, refuses', async () => {
      const jkt = 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs';
      const res = await request(url).get(`/dev/token?encrypted=false&dpop_jkt=${jkt}`).expect(200);
      expect(res.body).toMatchObject({ token_type: 'DPoP' });
      const token = res.body.access_token as string;
      const claims = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
      expect(claims.cnf).toEqual({ jkt });
      const refused = await request(url).get('/api/me').set('Authorization', `Bearer ${token}`);
      expect(refused.status).toBe(401);
      expect(refused.body.error_description).toContain('DPoP-bound');
    });

    it('still mints with every known parameter given once', async () => {
      const res = await request(url)
        .get('/dev/token?scope=messages:read&roles=admin&sub=zoe&encrypted=true&format=json')
        .expect(200);
      expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, encrypted: true });
      const me = await request(url).get('/api/me').set(bearer(res.body.access_token)).expect(200);
      expect(me.body).toMatchObject({ subject: 'zoe', roles: ['admin'] });
    });

    it.each(INVALID_DEMO_KINDS.flatMap((kind) => [[kind, true] as const, [kind, false] as const]))(
      'invalid=%s (encrypted %s) mints a token the API refuses with 401 invalid_token',
      async (kind, encrypted) => {
        const res = await request(url)
          .get(`/dev/token?invalid=${kind}&encrypted=${encrypted}&scope=messages:read`)
          .expect(200);
        expect(res.body).toMatchObject({ invalid: kind, encrypted, scope: 'messages:read' });
        expect(res.body).not.toHaveProperty('expires_in');
        const token: string = res.body.access_token;
        expect(token.split('.')).toHaveLength(encrypted ? 5 : 3);
        const me = await request(url).get('/api/me').set(bearer(token)).expect(401);
        expect(me.body.error).toBe('invalid_token');
        expect(me.headers['www-authenticate']).toMatch(
          /^Bearer realm="messages", error="invalid_token", error_description="/,
        );
      },
    );

    it('invalid=expired is refused for its expiry, invalid=wrong-audience for its audience', async () => {
      const describe = async (kind: string) => {
        const raw = await request(url).get(`/dev/token?invalid=${kind}&format=raw`).expect(200);
        const me = await request(url).get('/api/me').set(bearer(raw.text)).expect(401);
        return me.body.error_description as string;
      };
      expect(await describe('expired')).toMatch(/expired/);
      expect(await describe('not-yet-valid')).toMatch(/not (yet )?valid|nbf/);
      expect(await describe('wrong-audience')).toMatch(/audience/);
    });
  });

  describe('message store bounds', () => {
    it(`keeps at most ${MAX_MESSAGES} messages, evicting the oldest`, async () => {
      const writer = await dev.issuer.issueNested({ scope: 'messages:read messages:write' });
      const ids: string[] = [];
      for (let i = 0; i < MAX_MESSAGES + 5; i += 1) {
        const res = await request(url)
          .post('/api/messages')
          .set(bearer(writer))
          .send({ text: `message ${i}` })
          .expect(201);
        ids.push(res.body.id);
      }
      const list = await request(url).get('/api/messages').set(bearer(writer)).expect(200);
      expect(list.body).toHaveLength(MAX_MESSAGES);
      expect(list.body.map((m: { id: string }) => m.id)).toEqual(ids.slice(5));
      expect(list.body[0].text).toBe('message 5');
    });

    it(`refuses a text over ${MAX_TEXT_LENGTH} characters with 400`, async () => {
      const writer = await dev.issuer.issueNested({ scope: 'messages:write' });
      const res = await request(url)
        .post('/api/messages')
        .set(bearer(writer))
        .send({ text: 'x'.repeat(MAX_TEXT_LENGTH + 1) })
        .expect(400);
      expect(res.body.message).toBe(`text: expected 1 to ${MAX_TEXT_LENGTH} characters`);
      await request(url)
        .post('/api/messages')
        .set(bearer(writer))
        .send({ text: 'x'.repeat(MAX_TEXT_LENGTH) })
        .expect(201);
    });
  });
});
