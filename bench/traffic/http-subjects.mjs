/* global process, setTimeout, clearTimeout */
// The subjects of the rate-limiting HTTP benchmark (bench/traffic/http.mjs): each builds an
// Express 5 app (or a Nest app on platform-express) answering GET /api/me with the token's
// subject. Every subject authenticates with tokenward (verified-token cache on, the defaults of
// bench/http's `tokenward-express`), so the authentication cost is the same for all of them and
// the difference between two subjects is their rate limiter. The limiters count by the token's
// `sub`, with one window of `points` requests per 60 s.
import { createRequire } from 'node:module';
import express from 'express';
import { AUDIENCE, ISSUER } from '../lib/fixtures.mjs';

const require = createRequire(import.meta.url);
const dist = (pkg) => require(`../../packages/${pkg}/dist/index.js`);
// ioredis is a dependency of @tokenward/redis, not of the workspace root: resolve it from there
// (the same ioredis 6 that @nest-lab/throttler-storage-redis resolves, so its `instanceof` holds).
const fromRedisPkg = createRequire(require.resolve('../../packages/redis/package.json'));
const Redis = fromRedisPkg('ioredis').default ?? fromRedisPkg('ioredis');

/** The window every limiter uses: `points` requests per this many seconds. */
export const WINDOW_SECONDS = 60;

/** A connected ioredis client (the stores count locally while a client is not ready). */
export async function connectRedis(url, options = {}) {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    ...options,
  });
  // ioredis keeps retrying a server that is gone: give up after 10 s rather than hang the run.
  let timer;
  const gaveUp = new Promise((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no Redis at ${url} after 10 s`)), 10_000);
  });
  try {
    await Promise.race([client.connect(), gaveUp]);
  } catch (error) {
    client.disconnect();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return client;
}

function verifierOptions(keys) {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: { keys: [keys.sig.RS256.jwk] },
    algorithms: ['RS256'],
  };
}

const expressApp = (middleware) => {
  const a = express();
  a.set('etag', false);
  a.get('/api/me', ...middleware, (req, res) => res.json({ sub: req.auth.subject }));
  return a;
};

function tokenwardExpress(keys, limiter) {
  const { authenticate } = dist('express');
  const { createVerifier } = dist('core');
  const verifier = createVerifier(verifierOptions(keys));
  return expressApp(limiter ? [authenticate(verifier), limiter] : [authenticate(verifier)]);
}

const tokenwardLimit = (points, store) => {
  const { rateLimit } = dist('express');
  return rateLimit({
    key: 'subject',
    limits: [{ points, duration: WINDOW_SECONDS }],
    ...(store && { store }),
  });
};

/**
 * The subjects. `redis`: the subject counts in Redis (the driver checks the counters after each
 * measurement); `limited`: it has a rate limit at all (the sanity check expects a 429 on the
 * request over a quota of 2); `nest`: a Nest app, compared with `nest-auth-only`.
 */
export const SUBJECTS = {
  'express-auth-only': {
    redis: false,
    limited: false,
    build: (keys) => tokenwardExpress(keys, undefined),
  },
  'tokenward-memory': {
    redis: false,
    limited: true,
    build: (keys, { points }) =>
      tokenwardExpress(keys, tokenwardLimit(points, dist('core').memoryRateLimitStore())),
  },
  tokenward: {
    redis: true,
    limited: true,
    build: async (keys, { points, redisUrl }) => {
      const { redisRateLimitStore } = dist('redis');
      const client = await connectRedis(redisUrl);
      return tokenwardExpress(keys, tokenwardLimit(points, redisRateLimitStore(client)));
    },
  },
  'express-rate-limit': {
    redis: true,
    limited: true,
    build: (keys, options) => expressRateLimitRedis(keys, options, {}),
  },
  // The same limiter on its own memory store: how much of its cost is Redis.
  'express-rate-limit-memory': {
    redis: false,
    limited: true,
    control: true,
    build: (keys, { points }) => {
      const { rateLimit } = require('express-rate-limit');
      return tokenwardExpress(
        keys,
        rateLimit({
          windowMs: WINDOW_SECONDS * 1000,
          limit: points,
          standardHeaders: 'draft-8',
          legacyHeaders: false,
          keyGenerator: (req) => req.auth.subject,
        }),
      );
    },
  },
  'nest-auth-only': {
    redis: false,
    limited: false,
    nest: true,
    build: (keys) => nestApp(keys, { limiter: 'none' }),
  },
  'tokenward-nest': {
    redis: true,
    limited: true,
    nest: true,
    build: (keys, options) => nestApp(keys, { ...options, limiter: 'tokenward' }),
  },
  'nestjs-throttler': {
    redis: true,
    limited: true,
    nest: true,
    build: (keys, options) => nestApp(keys, { ...options, limiter: 'throttler' }),
  },
  // Controls, run only when named in --subjects. The least any limiter counting in Redis on
  // every request must do: one INCR per request, awaited, no limiter around it.
  'redis-incr-floor': {
    redis: true,
    limited: false,
    control: true,
    build: async (keys, { redisUrl }) => {
      const client = await connectRedis(redisUrl);
      return tokenwardExpress(keys, (req, _res, next) => {
        client.incr(`floor:{${req.auth.subject}}`).then(() => next(), next);
      });
    },
  },
  // The two Express limiters on an ioredis client with `enableAutoPipelining`: commands issued
  // in the same event-loop turn go to Redis in one write (an option of the client, not of the
  // limiter).
  'tokenward-autopipeline': {
    redis: true,
    limited: true,
    control: true,
    build: async (keys, { points, redisUrl }) => {
      const { redisRateLimitStore } = dist('redis');
      const client = await connectRedis(redisUrl, { enableAutoPipelining: true });
      return tokenwardExpress(keys, tokenwardLimit(points, redisRateLimitStore(client)));
    },
  },
  'express-rate-limit-autopipeline': {
    redis: true,
    limited: true,
    control: true,
    build: (keys, options) => expressRateLimitRedis(keys, options, { enableAutoPipelining: true }),
  },
};

/** express-rate-limit with rate-limit-redis, after tokenward's `authenticate`, keyed by `sub`. */
async function expressRateLimitRedis(keys, { points, redisUrl }, clientOptions) {
  const { rateLimit } = require('express-rate-limit');
  const { RedisStore } = require('rate-limit-redis');
  const client = await connectRedis(redisUrl, clientOptions);
  // rate-limit-redis loads its scripts (SCRIPT LOAD) when express-rate-limit initialises
  // it, and counts with EVALSHA from then on.
  const store = new RedisStore({ sendCommand: (...args) => client.call(...args) });
  return tokenwardExpress(
    keys,
    rateLimit({
      windowMs: WINDOW_SECONDS * 1000,
      limit: points,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: (req) => req.auth.subject,
      store,
    }),
  );
}

/**
 * A Nest app: the controller guarded by `@UseGuards(AccessTokenGuard[, ThrottlerGuard])` (the
 * module's guard mode `'manual'`, so the guards run in this order: authentication first), and
 * tokenward's `@RateLimit` on the handler for `limiter: 'tokenward'`.
 */
async function nestApp(keys, { limiter, points, redisUrl }) {
  require('reflect-metadata');
  const { Controller, Get, Module, Req, UseGuards } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const { ExpressAdapter } = require('@nestjs/platform-express');
  const { TokenwardModule, AccessTokenGuard, RateLimit } = dist('nest');
  const client = limiter === 'none' ? undefined : await connectRedis(redisUrl);
  const imports = [TokenwardModule.forRoot({ ...verifierOptions(keys), guard: 'manual' })];
  const guards = [AccessTokenGuard];
  if (limiter === 'throttler') {
    const { ThrottlerModule, ThrottlerGuard } = require('@nestjs/throttler');
    const { ThrottlerStorageRedisService } = require('@nest-lab/throttler-storage-redis');
    imports.push(
      ThrottlerModule.forRoot({
        throttlers: [{ ttl: WINDOW_SECONDS * 1000, limit: points }],
        getTracker: (req) => req.auth.subject,
        storage: new ThrottlerStorageRedisService(client),
      }),
    );
    guards.push(ThrottlerGuard);
  }
  class MeController {
    me(req) {
      return { sub: req.auth.subject };
    }
  }
  Req()(MeController.prototype, 'me', 0);
  const descriptor = Object.getOwnPropertyDescriptor(MeController.prototype, 'me');
  if (limiter === 'tokenward') {
    const { redisRateLimitStore } = dist('redis');
    RateLimit({
      key: 'subject',
      limits: [{ points, duration: WINDOW_SECONDS }],
      store: redisRateLimitStore(client),
    })(MeController.prototype, 'me', descriptor);
  }
  Get('me')(MeController.prototype, 'me', descriptor);
  Reflect.defineMetadata('design:paramtypes', [Object], MeController.prototype, 'me');
  UseGuards(...guards)(MeController);
  Controller('api')(MeController);
  class AppModule {}
  Module({ imports, controllers: [MeController] })(AppModule);
  const server = express();
  server.set('etag', false);
  const nest = await NestFactory.create(AppModule, new ExpressAdapter(server), {
    logger: process.env.BENCH_NEST_LOG ? undefined : false,
  });
  await nest.init();
  return server;
}
