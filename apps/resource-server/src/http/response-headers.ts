import type { NextFunction, Request, Response } from 'express';

/**
 * Headers on every response, errors (400, 401, 403, 404) included: the API answers with tokens
 * and personal data, which no cache may keep (RFC 9111 §5.2.2.5 `no-store`; RFC 6749 §5.1 asks
 * it of token responses), and a browser must not sniff a JSON or text body into something
 * runnable (`nosniff`).
 *
 * @example `app.use(responseHeaders)`
 */
export function responseHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  next();
}
