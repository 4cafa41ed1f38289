/* global Buffer, TextDecoder, performance, process */
// The HTTP subjects: each builds an Express 5 (or Nest) app answering GET /api/me with the token's
// subject after checking signature, iss, aud and exp (and decrypting nested tokens where the
// subject can). `supports(scenario)` says which scenarios a library can do at all.
import http from 'node:http';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import express from 'express';
import { jose } from '../lib/deps.mjs';
import { AUDIENCE, ISSUER, SCENARIOS } from '../lib/fixtures.mjs';
import { createFloor } from '../lib/floor.mjs';

const require = createRequire(import.meta.url);
const dist = (pkg) => require(`../../packages/${pkg}/dist/index.js`);

const send = (res, sub) => res.json({ sub });
const unauthorized = (res) => res.status(401).json({ error: 'invalid_token' });
const bearer = (req) => {
  const h = req.headers.authorization;
  return h && h.startsWith('Bearer ') ? h.slice(7) : undefined;
};

function sigKeyMaterial(keys, scenario) {
  return scenario.sig === 'HS256'
    ? { secret: Buffer.from(keys.secret, 'utf8') }
    : { pem: keys.sig[scenario.sig].public, jwk: keys.sig[scenario.sig].jwk };
}

/** Starts a JWKS server on 127.0.0.1 (for express-oauth2-jwt-bearer); returns its URL. */
async function startJwks(jwk) {
  const server = http.createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${server.address().port}/jwks.json`;
}

function tokenwardOptions(keys, scenario, cache) {
  const m = sigKeyMaterial(keys, scenario);
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    ...(m.secret ? { secret: m.secret } : { keys: { keys: [m.jwk] } }),
    algorithms: [scenario.sig],
    ...(scenario.enc && {
      decryptionKeys: { keys: [keys.enc[scenario.enc.alg].jwk] },
      encryption: 'required',
      keyManagementAlgorithms: [scenario.enc.alg],
      contentEncryptionAlgorithms: [scenario.enc.enc],
    }),
    ...(cache === false && { cache: false }),
  };
}

const app = (middleware) => {
  const a = express();
  a.set('etag', false);
  a.get('/api/me', ...middleware, (req, res) => send(res, req.subjectOut ?? 'anonymous'));
  return a;
};

// What control-map-state-* record per request, under a key nothing else uses.
const CONTROL_STATE = Symbol('control.state');
const controlState = { realm: 'control' };
const controlMapWithState = (record) => {
  const seen = new Map();
  return app([
    (req, res, next) => {
      record(req, res, controlState);
      const token = bearer(req);
      if (!token) return unauthorized(res);
      if (!seen.has(token)) seen.set(token, { sub: 'control' });
      req.subjectOut = seen.get(token).sub;
      next();
    },
  ]);
};

const fromAsync = (verify) => (req, res, next) => {
  const token = bearer(req);
  if (!token) return unauthorized(res);
  verify(token).then(
    (sub) => {
      req.subjectOut = sub;
      next();
    },
    () => unauthorized(res),
  );
};

const fromSync = (verify) => (req, res, next) => {
  const token = bearer(req);
  if (!token) return unauthorized(res);
  try {
    req.subjectOut = verify(token);
  } catch {
    return unauthorized(res);
  }
  next();
};

const jwsOnly = (s) => !s.enc;
const notEdDSA = (s) => !s.enc && s.sig !== 'EdDSA';

export const SUBJECTS = {
  baseline: { supports: () => true, build: () => app([]) },

  'tokenward-express': {
    supports: () => true,
    build: (keys, scenario) => {
      const { authenticate } = dist('express');
      return app([
        authenticate(tokenwardOptions(keys, scenario)),
        (req, _res, next) => ((req.subjectOut = req.auth.subject), next()),
      ]);
    },
  },

  // The same middleware with the audit trail on: every decision to the tamper-evident file sink
  // (HMAC chain, Ed25519 checkpoints) in a temporary folder, subjects pseudonymised.
  'tokenward-express-audit': {
    supports: () => true,
    build: (keys, scenario) => {
      const { authenticate } = dist('express');
      const { createFileAuditSink } = dist('core');
      const directory = mkdtempSync(join(tmpdir(), 'tokenward-bench-audit-'));
      // The server process ends with process.exit: its trail (tens of MB a run) goes with it.
      process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
      const sink = createFileAuditSink({
        directory,
        chainKey: randomBytes(32),
        signingKey: generateKeyPairSync('ed25519').privateKey,
        // BENCH_AUDIT_BATCH_DELAY=<ms>: the sink's batchDelay (default 50), to measure its effect.
        ...(process.env.BENCH_AUDIT_BATCH_DELAY !== undefined && {
          batchDelay: Number(process.env.BENCH_AUDIT_BATCH_DELAY),
        }),
      });
      return app([
        authenticate({
          ...tokenwardOptions(keys, scenario),
          audit: { sink, pseudonymizationKey: randomBytes(32) },
        }),
        (req, _res, next) => ((req.subjectOut = req.auth.subject), next()),
      ]);
    },
  },

  // Control for the one above: the same events built, pseudonymised and queued, then handed to a
  // function that drops them, so the file sink's own share is the difference between the two.
  'tokenward-express-audit-noop': {
    supports: () => true,
    control: true,
    build: (keys, scenario) => {
      const { authenticate } = dist('express');
      return app([
        authenticate({
          ...tokenwardOptions(keys, scenario),
          audit: { sink: () => undefined, pseudonymizationKey: randomBytes(32) },
        }),
        (req, _res, next) => ((req.subjectOut = req.auth.subject), next()),
      ]);
    },
  },

  // `tokenward-express` with its handler reading req.auth itself: one middleware before the
  // handler, as in `control-map`, where the subjects above pass the subject on through a second
  // middleware (one more Express layer, which costs about 5 % here).
  'tokenward-express-one-layer': {
    supports: () => true,
    control: true,
    build: (keys, scenario) => {
      const { authenticate } = dist('express');
      const a = express();
      a.set('etag', false);
      a.get('/api/me', authenticate(tokenwardOptions(keys, scenario)), (req, res) =>
        send(res, req.auth.subject),
      );
      return a;
    },
  },
  // `tokenward-express` behind every stage that reads the client address: the failure budget,
  // `clientNetworks` and the anomaly detectors (verifier options), a rate limit by `ip` and
  // `allowFrom`. Every limit is far above what a run sends.
  'tokenward-express-address-stages': {
    supports: () => true,
    control: true,
    build: (keys, scenario) => {
      const { allowFrom, authenticate, rateLimit } = dist('express');
      return app([
        authenticate({
          ...tokenwardOptions(keys, scenario),
          failureBudget: { failures: 5 },
          clientNetworks: { bench: ['127.0.0.0/8', '::1'] },
          anomalies: { tokenSpread: { addresses: 5 } },
        }),
        rateLimit({ key: 'ip', limits: [{ points: 1_000_000_000, duration: 60 }] }),
        allowFrom('127.0.0.0/8', '::1'),
        (req, _res, next) => ((req.subjectOut = req.auth.subject), next()),
      ]);
    },
  },
  'tokenward-express-nocache': {
    supports: () => true,
    build: (keys, scenario) => {
      const { authenticate } = dist('express');
      return app([
        authenticate(tokenwardOptions(keys, scenario, false)),
        (req, _res, next) => ((req.subjectOut = req.auth.subject), next()),
      ]);
    },
  },

  // Nest's own routing costs more than bare Express: a Nest app without a guard is its baseline.
  'baseline-nest': {
    supports: () => true,
    build: (keys, scenario) => nestApp(keys, scenario),
  },

  'tokenward-nest': {
    supports: () => true,
    build: (keys, scenario) => nestApp(keys, scenario, 'tokenward'),
  },
  // control-map's look-up in a global Nest guard: the part of tokenward-nest's cost that any
  // guard reading the token has in Nest.
  'control-nest-map-guard': {
    supports: () => true,
    control: true,
    build: (keys, scenario) => nestApp(keys, scenario, 'map'),
  },

  'express-oauth2-jwt-bearer': {
    supports: (s) => jwsOnly(s),
    build: async (keys, scenario) => {
      const { auth } = require('express-oauth2-jwt-bearer');
      const m = sigKeyMaterial(keys, scenario);
      const options = m.secret
        ? { issuer: ISSUER, audience: AUDIENCE, secret: keys.secret, tokenSigningAlg: 'HS256' }
        : {
            issuer: ISSUER,
            audience: AUDIENCE,
            jwksUri: await startJwks(m.jwk),
            tokenSigningAlg: scenario.sig,
          };
      return app([
        auth(options),
        (req, _res, next) => ((req.subjectOut = req.auth.payload.sub), next()),
      ]);
    },
  },

  'express-jwt': {
    supports: notEdDSA,
    build: (keys, scenario) => {
      const { expressjwt } = require('express-jwt');
      const m = sigKeyMaterial(keys, scenario);
      return app([
        expressjwt({
          secret: m.secret ?? m.pem,
          algorithms: [scenario.sig],
          issuer: ISSUER,
          audience: AUDIENCE,
        }),
        (req, _res, next) => ((req.subjectOut = req.auth.sub), next()),
      ]);
    },
  },

  'passport-jwt': {
    supports: notEdDSA,
    build: (keys, scenario) => {
      const passport = require('passport');
      const { Strategy, ExtractJwt } = require('passport-jwt');
      const m = sigKeyMaterial(keys, scenario);
      passport.use(
        new Strategy(
          {
            jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
            secretOrKey: m.secret ?? m.pem,
            algorithms: [scenario.sig],
            issuer: ISSUER,
            audience: AUDIENCE,
          },
          (payload, done) => done(null, payload),
        ),
      );
      return app([
        passport.initialize(),
        passport.authenticate('jwt', { session: false }),
        (req, _res, next) => ((req.subjectOut = req.user.sub), next()),
      ]);
    },
  },

  'fast-jwt-cache': {
    supports: jwsOnly,
    build: (keys, scenario) => fastJwtApp(keys, scenario, true),
  },
  'fast-jwt-nocache': {
    supports: jwsOnly,
    build: (keys, scenario) => fastJwtApp(keys, scenario, false),
  },

  'jose-hand-wired': {
    supports: () => true,
    build: async (keys, scenario) => {
      const m = sigKeyMaterial(keys, scenario);
      // Keys imported once, as CryptoKeys: jose 6 re-imports a raw Uint8Array secret on every call.
      const sigKey = m.secret
        ? await jose.importJWK(
            { kty: 'oct', k: m.secret.toString('base64url'), alg: 'HS256' },
            'HS256',
          )
        : await jose.importJWK(m.jwk, scenario.sig);
      const options = { issuer: ISSUER, audience: AUDIENCE, algorithms: [scenario.sig] };
      if (!scenario.enc) {
        return app([
          fromAsync(async (t) => (await jose.jwtVerify(t, sigKey, options)).payload.sub),
        ]);
      }
      const decKey = await jose.importJWK(keys.enc[scenario.enc.alg].jwk, scenario.enc.alg);
      const decOptions = {
        keyManagementAlgorithms: [scenario.enc.alg],
        contentEncryptionAlgorithms: [scenario.enc.enc],
      };
      const text = new TextDecoder();
      return app([
        fromAsync(async (t) => {
          const { plaintext } = await jose.compactDecrypt(t, decKey, decOptions);
          return (await jose.jwtVerify(text.decode(plaintext), sigKey, options)).payload.sub;
        }),
      ]);
    },
  },

  // Controls, not peers (not in the default list, see CONTROL_SUBJECTS): what a few microseconds
  // of per-request work cost in this saturated server, to read the repeated-token figures.
  'control-noop': {
    supports: () => true,
    control: true,
    build: () => app([(_req, _res, next) => next()]),
  },
  'control-spin-5': {
    supports: () => true,
    control: true,
    build: () =>
      app([
        (_req, _res, next) => {
          const until = performance.now() + 0.005;
          while (performance.now() < until);
          next();
        },
      ]),
  },
  'control-map': {
    supports: () => true,
    control: true,
    build: () => {
      // A Map keyed by the whole token: the least any cache keyed by the token must do (hash
      // the request's fresh string, compare it with the stored key).
      const seen = new Map();
      return app([
        (req, res, next) => {
          const token = bearer(req);
          if (!token) return unauthorized(res);
          if (!seen.has(token)) seen.set(token, { sub: 'control' });
          req.subjectOut = seen.get(token).sub;
          next();
        },
      ]);
    },
  },

  // control-map plus one per-request record for a later middleware, kept the two ways an
  // adapter can keep it: a symbol-keyed property of Express's `req` (one more property on an
  // object whose shape every later middleware and Node's HTTP code sees), or a symbol key of
  // `res.locals` (a dictionary, `Object.create(null)`, whose shape one more key does not change).
  // The pair prices where tokenward's Express adapter keeps its request state.
  'control-map-state-on-req': {
    supports: () => true,
    control: true,
    build: () => controlMapWithState((req, _res, state) => (req[CONTROL_STATE] = state)),
  },
  'control-map-state-in-locals': {
    supports: () => true,
    control: true,
    build: () => controlMapWithState((_req, res, state) => (res.locals[CONTROL_STATE] = state)),
  },

  // control-map with one of tokenward's hit-path parts in place of the control's own: core's
  // RFC 6750 extraction (duplicate Authorization lines, a token in the query or the form body
  // too) instead of reading `req.headers.authorization`, or the verified-token cache (lru-cache
  // bounded by entries and bytes, each entry's end checked) instead of the Map.
  'control-core-extract': {
    supports: () => true,
    control: true,
    build: () => {
      const { extractToken } = require('../../packages/core/dist/http/extract-token.js');
      const seen = new Map();
      const sources = {};
      return app([
        (req, res, next) => {
          let token;
          try {
            token = extractToken(req, sources).token;
          } catch {
            return unauthorized(res);
          }
          if (!seen.has(token)) seen.set(token, { sub: 'control' });
          req.subjectOut = seen.get(token).sub;
          next();
        },
      ]);
    },
  },
  'control-token-cache': {
    supports: () => true,
    control: true,
    build: () => {
      const {
        VerifiedTokenCache,
      } = require('../../packages/core/dist/cache/verified-token-cache.js');
      const cache = new VerifiedTokenCache({
        admission: 'always',
        maxEntries: 10_000,
        maxBytes: 64 * 1024 * 1024,
        maxTtl: 3600,
      });
      return app([
        (req, res, next) => {
          const token = bearer(req);
          if (!token) return unauthorized(res);
          const now = Date.now();
          let found = cache.get(token, now);
          if (found === undefined) {
            // The fields the cache reads of an AccessToken: its text, its end and (for the
            // size estimate) its claims and header.
            found = {
              token,
              subject: 'control',
              claims: {},
              header: {},
              expiresAt: new Date(now + 3_600_000),
            };
            cache.set(found, now);
          }
          req.subjectOut = found.subject;
          next();
        },
      ]);
    },
  },

  // core's whole cache-hit path (`verifyRequestFromCache`: extraction, the cache, the exp/nbf
  // re-check, the metrics) in a bare middleware, without the Express adapter around it: between
  // the part controls above and `tokenward-express-one-layer`.
  'control-core-cache-path': {
    supports: () => true,
    control: true,
    build: (keys, scenario) => {
      const { createVerifier } = dist('core');
      const { verifyRequestFromCache } = require('../../packages/core/dist/internal.js');
      const verifier = createVerifier(tokenwardOptions(keys, scenario));
      return app([
        (req, res, next) => {
          const cached = verifyRequestFromCache(verifier, req);
          if (cached !== undefined) {
            req.subjectOut = cached.subject;
            next();
            return;
          }
          verifier.verifyRequest(req).then(
            (token) => {
              req.subjectOut = token.subject;
              next();
            },
            () => unauthorized(res),
          );
        },
      ]);
    },
  },

  'floor-node-crypto': {
    supports: () => true,
    build: (keys, scenario) => {
      const floor = createFloor(keys, scenario.name);
      return app([fromSync((t) => floor(t).sub)]);
    },
  },
};

/**
 * A Nest app with one `GET /api/me` route. `guard`: none, `'tokenward'` (TokenwardModule's global
 * AccessTokenGuard) or `'map'` (a global guard doing control-map's look-up: what any guard that
 * reads the token costs in Nest).
 */
async function nestApp(keys, scenario, guard) {
  require('reflect-metadata');
  const { Controller, Get, Injectable, Module, Req } = require('@nestjs/common');
  const { APP_GUARD, NestFactory } = require('@nestjs/core');
  const { ExpressAdapter } = require('@nestjs/platform-express');
  const { TokenwardModule } = dist('nest');
  class MeController {
    me(req) {
      return { sub: req.auth?.subject };
    }
  }
  Controller('api')(MeController);
  Req()(MeController.prototype, 'me', 0);
  const descriptor = Object.getOwnPropertyDescriptor(MeController.prototype, 'me');
  Get('me')(MeController.prototype, 'me', descriptor);
  Reflect.defineMetadata('design:paramtypes', [Object], MeController.prototype, 'me');
  class AppModule {}
  const seen = new Map();
  class MapGuard {
    canActivate(context) {
      const req = context.switchToHttp().getRequest();
      const token = bearer(req);
      if (!token) return false;
      if (!seen.has(token)) seen.set(token, { subject: 'control' });
      req.auth = seen.get(token);
      return true;
    }
  }
  Injectable()(MapGuard);
  Module({
    imports:
      guard === 'tokenward' ? [TokenwardModule.forRoot(tokenwardOptions(keys, scenario))] : [],
    providers: guard === 'map' ? [{ provide: APP_GUARD, useClass: MapGuard }] : [],
    controllers: [MeController],
  })(AppModule);
  const server = express();
  server.set('etag', false);
  const nest = await NestFactory.create(AppModule, new ExpressAdapter(server), {
    logger: false,
  });
  await nest.init();
  return server;
}

function fastJwtApp(keys, scenario, cache) {
  const { createVerifier } = require('fast-jwt');
  const m = sigKeyMaterial(keys, scenario);
  const verify = createVerifier({
    key: m.secret ?? m.pem,
    algorithms: [scenario.sig],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
    cache,
  });
  return app([fromSync((t) => verify(t).sub)]);
}

/** Resolves a scenario name to its definition (with its name). */
export const scenarioNamed = (name) => ({ name, ...SCENARIOS[name] });
