/** What the app prints at start-up: the mode and, in dev mode, how to get a token and call each route. */
import { DEV_ALLOW_REMOTE, type AppConfig } from './config/app-config';
import { isLoopbackHost } from './config/env-checks';
import type { DPoPSettings } from './config/dpop-settings';
import { TENANTS_VARIABLE, tenantHost } from './tenants/tenant-settings';

/**
 * The warning printed (on stderr) when dev mode listens on a non-loopback host because
 * `TOKENWARD_DEV_ALLOW_REMOTE=1` allowed it; undefined otherwise.
 *
 * @param config The validated configuration.
 * @example `const warning = remoteDevWarning(config); if (warning) console.warn(warning)`
 */
export function remoteDevWarning(config: AppConfig): string | undefined {
  if (config.mode !== 'dev' || isLoopbackHost(config.host)) return undefined;
  const rule = '!'.repeat(78);
  return [
    rule,
    `!! WARNING: DEV MODE on HOST=${config.host}, allowed by ${DEV_ALLOW_REMOTE}=1.`,
    '!! Anyone who can reach this port can mint tokens with any scope and role (admin',
    '!! included) at GET /dev/token. Use it only on a network you trust, never in production.',
    rule,
  ].join('\n');
}

/**
 * The start-up banner. In dev mode it lists how to get tokens (including the deliberately
 * invalid ones) and one curl line per route.
 *
 * @param config The validated configuration.
 * @param url The URL the app listens on (`await app.getUrl()`).
 * @example `console.log(startupMessage(config, await app.getUrl()))`
 */
export function startupMessage(config: AppConfig, url: string): string {
  const lines = [`tokenward sample resource server listening on ${url}`];
  if (config.dpop !== undefined) lines.push(dpopLine(config.dpop, config.redisUrl !== undefined));
  if (config.mode === 'issuer') {
    const keys = config.settings.jwksUri ?? `discovered from ${config.settings.issuer}`;
    lines.push(
      `issuer ${config.settings.issuer}, audience ${config.settings.audience}, keys ${keys}`,
    );
    return lines.join('\n');
  }
  if (!isLoopbackHost(config.host)) {
    lines.push(`WARNING: dev mode reachable from other hosts (${DEV_ALLOW_REMOTE}=1).`);
  }
  // With tenants each curl line names the first tenant's host: its issuer mints, its verifier checks.
  const first = config.tenants?.[0];
  const h = first === undefined ? '' : `-H 'Host: ${tenantHost(first)}' `;
  lines.push(
    '',
    'DEV MODE: an embedded dev issuer signs and encrypts tokens with keys generated at start-up.',
    'Never use it in production (it refuses to start with NODE_ENV=production).',
    '',
    ...(config.tenants === undefined ? [] : tenantLines(config.tenants, url)),
    'Get tokens (nested: signed, then encrypted to this API; add &encrypted=false for signed only):',
    `  READER=$(curl -s ${h}'${url}/dev/token?scope=messages:read&format=raw')`,
    `  WRITER=$(curl -s ${h}'${url}/dev/token?scope=messages:read%20messages:write&format=raw')`,
    `  ADMIN=$(curl -s ${h}'${url}/dev/token?scope=messages:read&roles=admin&format=raw')`,
    'Tokens the API refuses (401 invalid_token), for demos: add &invalid=expired,',
    '&invalid=not-yet-valid or &invalid=wrong-audience. Other parameters: sub, roles (a,b).',
    '',
    'Call the routes:',
    `  curl -i ${url}/health`,
    `  curl -i ${h}-H "Authorization: Bearer $READER" ${url}/api/me`,
    `  curl -i ${h}${url}/api/greeting   (token optional)`,
    `  curl -i ${h}-H "Authorization: Bearer $READER" ${url}/api/messages`,
    `  curl -i ${h}-H "Authorization: Bearer $WRITER" -H 'Content-Type: application/json' -d '{"text":"hello"}' ${url}/api/messages`,
    `  curl -i ${h}-X DELETE -H "Authorization: Bearer $ADMIN" ${url}/api/messages/<id>`,
    '',
    `Without a token: curl -i ${h}${url}/api/me  → 401; a reader posting → 403.`,
  );
  if (config.dpop !== undefined) {
    lines.push(
      '',
      'DPoP-bound tokens (after pnpm build; the CLI makes the key and the proofs):',
      '  JKT=$(node packages/cli/dist/bin.js dpop key --out dpop-key.json)',
      `  BOUND=$(curl -s '${url}/dev/token?scope=messages:read&dpop_jkt='$JKT'&format=raw')`,
      `  curl -i -H "Authorization: DPoP $BOUND" -H "DPoP: $(node packages/cli/dist/bin.js dpop proof --key dpop-key.json --method GET --url ${url}/api/me --token $BOUND)" ${url}/api/me`,
    );
  }
  return lines.join('\n');
}

/** The tenants and their hosts: each tenant is served, and its tokens minted, by `Host`. */
function tenantLines(tenants: readonly string[], url: string): string[] {
  const port = new URL(url).port;
  return [
    `TENANTS (${TENANTS_VARIABLE}): each with its own dev issuer and keys, chosen by the Host header:`,
    ...tenants.map(
      (id) =>
        `  ${id}: -H 'Host: ${tenantHost(id)}' (or http://${tenantHost(id)}${port === '' ? '' : `:${port}`})`,
    ),
    "A token works on its own tenant's host only; any other host is 400 ERR_TENANT_UNKNOWN.",
    '',
  ];
}

/** One line saying how DPoP is set up (never the nonce secret). */
function dpopLine(dpop: DPoPSettings, onRedis: boolean): string {
  const nonces = dpop.nonceSecret === undefined ? 'off' : 'on';
  const store = onRedis ? 'redis' : 'memory';
  return `DPoP ${dpop.mode} (server nonces ${nonces}, replay store ${store})`;
}
