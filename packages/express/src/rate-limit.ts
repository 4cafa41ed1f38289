/**
 * `rateLimit()`: the core rate limit as Express middleware, mounted after `authenticate()`. No
 * token logic: counting, keys, headers and the 429 are core's.
 */
import type { RequestHandler } from 'express';
import { rateLimit as rateLimitRequirement, type RateLimitOptions } from '@tokenward/core';
import { authorize } from './authorize';

/**
 * Creates middleware that rate-limits requests by their verified identity (core `rateLimit`):
 * it sets `RateLimit-Policy` and `RateLimit` on the response of an allowed request, and answers
 * a refused one with 429, `Retry-After` and a JSON `{ error_description }` (or `next(err)` with
 * the `RateLimitedError` under `errorHandling: 'next'`), recorded on the verifier's audit trail
 * as a route-step denial (`excess_rate_limit_exceeded`, reason `ERR_RATE_LIMITED`).
 *
 * Mount it after `authenticate()`: it needs `req.auth`, and without it answers 401 like every
 * requirement (a request is never counted before its token is verified). The options are
 * checked here, once (a `TypeError` at start-up).
 *
 * @param options See core `RateLimitOptions`: `key`, `limits`, `tiers`, `store`, `name`, `prefix`, `onMissingKey`.
 * @example
 * ```ts
 * app.use(authenticate(verifier))
 * app.get('/reports', rateLimit({ key: 'client', limits: [{ points: 10, duration: 1 }] }), handler)
 * ```
 */
export function rateLimit(options: RateLimitOptions): RequestHandler {
  return authorize(rateLimitRequirement(options));
}
