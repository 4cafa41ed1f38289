/** The route template of an Express request, for the audit trail (never the raw URL). */
import type { Request } from 'express';

/**
 * `req.baseUrl` + `req.route.path` once Express matched a route (in route-level middleware and
 * handlers); `undefined` before routing (an `app.use(authenticate())` runs before any route
 * matched), when the template is not a string (a RegExp route), or when it is not known.
 *
 * @example `routeTemplate(req) // '/api/messages/:id'`
 */
export function routeTemplate(req: Request): string | undefined {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return undefined;
  return typeof req.baseUrl === 'string' ? req.baseUrl + path : path;
}
