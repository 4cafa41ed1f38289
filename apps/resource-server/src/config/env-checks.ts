/**
 * Checks of single environment values, shared by {@link loadConfig}: hosts, URLs and how values
 * are quoted back in error messages.
 */
import { isIP } from 'node:net';

/** Longest part of a bad value echoed in an error message. */
const ECHO_LIMIT = 80;

/**
 * Quotes a bad value for an error message: JSON-escaped (so a newline in the environment cannot
 * split the one-line message) and cut to {@link ECHO_LIMIT} characters.
 */
export function quote(text: string): string {
  return JSON.stringify(text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}…` : text);
}

const HOSTNAME =
  /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** Whether `host` can be passed to `listen`: an IPv4 or IPv6 address, or a DNS host name. */
export function isListenHost(host: string): boolean {
  return isIP(host) !== 0 || HOSTNAME.test(host);
}

/**
 * Whether `host` only accepts connections from this machine: `localhost`, 127.0.0.0/8, `::1`
 * (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3), or 127.0.0.0/8 mapped into IPv6 (`::ffff:127.x.y.z`).
 */
export function isLoopbackHost(host: string): boolean {
  const lower = host.toLowerCase();
  if (lower === 'localhost') return true;
  if (isIP(lower) === 4) return lower.startsWith('127.');
  if (isIP(lower) === 6) {
    if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    return mapped !== null && (mapped[1] as string).startsWith('127.');
  }
  return false;
}

const HTTP_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * Why `text` cannot be fetched as the issuer's keys or metadata, or undefined when it can. The
 * same rules as the verifier applies, checked here so the message names the variable: https only
 * (plain http to a loopback host), no credentials, no fragment (RFC 8414 §2 also forbids a query
 * in an issuer identifier).
 */
export function fetchURLProblem(text: string, kind: 'jwks' | 'issuer'): string | undefined {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `expected an http(s) URL, got ${quote(text)}`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `expected an http(s) URL, got ${quote(text)}`;
  }
  // The verifier allows plain http to exactly these hosts (a narrower set than isLoopbackHost).
  if (url.protocol === 'http:' && !HTTP_HOSTS.has(url.hostname.toLowerCase())) {
    return `must use https (plain http only for 127.0.0.1, ::1 and localhost), got ${quote(url.origin)}`;
  }
  // The value itself is not echoed: it holds a password.
  if (url.username !== '' || url.password !== '') return 'must not carry credentials (user:pass@)';
  if (url.hash !== '') return 'must not have a #fragment';
  if (kind === 'issuer' && url.search !== '') return 'must not have a ?query (RFC 8414 §2)';
  return undefined;
}

/** Longest window accepted in a `<count>/<seconds>` value: one day. */
const MAX_WINDOW_SECONDS = 86_400;
/** Largest count accepted in a `<count>/<seconds>` value. */
const MAX_COUNT = 1_000_000;

/**
 * Reads a `<count>/<seconds>` value (`600/60`: 600 per minute): whole numbers, the count from 1
 * to 1,000,000, the window from 1 second to a day.
 *
 * @returns the two numbers, or a problem (without the variable's name) when `text` is not one.
 * @example `countPerWindow('600/60') // { count: 600, seconds: 60 }`
 */
export function countPerWindow(text: string): { count: number; seconds: number } | string {
  const match = /^(\d{1,7})\/(\d{1,5})$/.exec(text);
  const count = Number(match?.[1]);
  const seconds = Number(match?.[2]);
  if (
    match === null ||
    count < 1 ||
    count > MAX_COUNT ||
    seconds < 1 ||
    seconds > MAX_WINDOW_SECONDS
  ) {
    return `expected <count>/<seconds> (whole numbers, count 1 to ${MAX_COUNT}, seconds 1 to ${MAX_WINDOW_SECONDS}), got ${quote(text)}`;
  }
  return { count, seconds };
}

/** Longest OAuth client id accepted. */
export const MAX_CLIENT_ID_LENGTH = 256;

/**
 * Whether `id` can be a client id here: 1 to {@link MAX_CLIENT_ID_LENGTH} visible ASCII characters
 * (RFC 6749 §A.1 allows spaces too; an id with one is refused as a likely copy-paste mistake).
 */
export function isClientId(id: string): boolean {
  return id.length >= 1 && id.length <= MAX_CLIENT_ID_LENGTH && /^[\x21-\x7e]+$/.test(id);
}

/** What {@link isClientId} refuses, for error messages. */
export const CLIENT_ID_RULE = `1 to ${MAX_CLIENT_ID_LENGTH} visible ASCII characters (no spaces, no control characters)`;

/** Splits a comma-separated list, trimming each item; empty items are kept (and reported). */
export function commaList(text: string): string[] {
  return text.split(',').map((item) => item.trim());
}
