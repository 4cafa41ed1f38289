/**
 * A bounded HTTP GET for key material and metadata, and the POST of token introspection
 * (docs/architecture.md SD-21 and SD-22): https only (plain http only to a loopback host), no
 * redirects, one deadline for the whole exchange, and a cap on the body size enforced while
 * streaming. Internal: never public API.
 *
 * It uses node:http/https rather than `fetch` so that every limit is explicit and no global
 * dispatcher (proxy, redirect policy, decompression) configured elsewhere in the process can widen
 * them.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readStrictJSONObject, type StrictJSONProblem } from '../compact/json';

/** Why a fetch failed; `status` also covers every non-200 answer other than a redirect. */
export type FetchFailure =
  'status' | 'redirect' | 'timeout' | 'too-large' | 'network' | 'invalid-json' | 'insecure-url';

/** A failed fetch. Its message names the URL and the reason, never a response body. */
export class FetchJSONError extends Error {
  /** Why the fetch failed. */
  readonly reason: FetchFailure;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;

  constructor(reason: FetchFailure, message: string, status?: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'FetchJSONError';
    this.reason = reason;
    this.status = status;
  }
}

/** Limits of one fetch. */
export interface FetchJSONOptions {
  /** Deadline for the whole exchange (connect, headers, body), in milliseconds. */
  readonly timeoutMs: number;
  /** Largest body accepted, in bytes. */
  readonly maxBytes: number;
  /**
   * A deadline shared with other fetches (discovery metadata, then the JWK Set): when it aborts,
   * this fetch fails as a `timeout`, and it is not started when already aborted. `timeoutMs` is
   * then the budget of the whole chain, named in the message.
   */
  readonly signal?: AbortSignal;
  /**
   * POST `body` instead of the GET, with these request headers besides `accept` (the content
   * type, the client credentials). Every limit above holds alike; a redirect is refused all the
   * more: following it would send the body, and its credentials, wherever it points.
   */
  readonly post?: { readonly body: string; readonly headers: Readonly<Record<string, string>> };
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** Whether a URL's host is a loopback host, the only place plain http is allowed to reach. */
export function isLoopbackURL(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname.toLowerCase());
}

/**
 * Why a URL may not be fetched, or undefined when it may: it must be https (http only for
 * 127.0.0.1, ::1 or localhost) and carry no credentials or fragment.
 */
export function insecureURLReason(url: URL): string | undefined {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackURL(url))) {
    return 'it must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)';
  }
  if (url.username !== '' || url.password !== '') return 'it must not carry credentials';
  if (url.hash !== '') return 'it must not have a fragment';
  return undefined;
}

const BODY_PROBLEMS: Record<StrictJSONProblem, string> = {
  'not-utf8-json': 'did not answer UTF-8 JSON',
  'not-an-object': 'did not answer a JSON object',
  // A duplicate member (two "keys" or two "issuer" members) means two parsers could read two
  // different documents; refuse it as RFC 8725 §3.6 does for tokens.
  'duplicate-member': 'answered JSON with duplicate members',
};

function parseBody(url: URL, bytes: Buffer): Record<string, unknown> {
  const result = readStrictJSONObject(bytes, true);
  if (result.ok) return result.value;
  throw new FetchJSONError(
    'invalid-json',
    `${url.href} ${BODY_PROBLEMS[result.problem]}`,
    200,
    result.cause,
  );
}

/**
 * GETs `url` (or POSTs `options.post`) and parses the body as a JSON object, within the limits
 * of `options`.
 *
 * @param url The URL; refused without connecting unless {@link insecureURLReason} allows it.
 * @param options The deadline, the body cap and an optional shared deadline signal.
 * @example
 * ```ts
 * const deadline = AbortSignal.timeout(5000); // one budget for metadata and JWK Set
 * const metadata = await fetchJSON(metadataURL, { timeoutMs: 5000, maxBytes: 262144, signal: deadline });
 * ```
 * @throws FetchJSONError for every failure (never anything else).
 */
export function fetchJSON(url: URL, options: FetchJSONOptions): Promise<Record<string, unknown>> {
  return fetchWith(url, options, (bytes) => parseBody(url, bytes));
}

/** A body as it was sent, with the media type the server gave it. */
export interface FetchedBody {
  /** The `Content-Type` header as sent (parameters included), if there was one. */
  readonly contentType: string | undefined;
  /** The body's bytes, at most `maxBytes` of them. */
  readonly body: Buffer;
}

/**
 * {@link fetchJSON} for an answer that is not JSON (an RFC 9701 introspection JWT): every limit
 * alike, the body handed back unparsed with its content type, for the caller to check both.
 *
 * @param url The URL; refused without connecting unless {@link insecureURLReason} allows it.
 * @param options The deadline, the body cap, the POST body and its headers (an `accept` there
 *   replaces the default `application/json`).
 * @example
 * ```ts
 * const { contentType, body } = await fetchBody(endpoint, { timeoutMs: 5000, maxBytes: 262144, post })
 * ```
 * @throws FetchJSONError for every failure (never anything else).
 */
export function fetchBody(url: URL, options: FetchJSONOptions): Promise<FetchedBody> {
  return fetchWith(url, options, (body, response) => ({
    contentType: response.headers['content-type'],
    body,
  }));
}

/** The exchange both fetches share; `read` turns a complete 200 body into the result (or throws). */
function fetchWith<T>(
  url: URL,
  options: FetchJSONOptions,
  read: (bytes: Buffer, response: IncomingMessage) => T,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const insecure = insecureURLReason(url);
    if (insecure !== undefined) {
      reject(new FetchJSONError('insecure-url', `refusing to fetch ${url.href}: ${insecure}`));
      return;
    }
    const { signal } = options;
    const deadlinePassed = () =>
      new FetchJSONError(
        'timeout',
        `${url.href} did not answer within ${options.timeoutMs} ms (remoteKeys.timeout bounds the metadata and JWK Set fetches together)`,
      );
    if (signal?.aborted === true) {
      // The earlier fetches of the chain used the whole budget: do not even connect.
      reject(
        new FetchJSONError(
          'timeout',
          `${url.href} was not fetched: the ${options.timeoutMs} ms of remoteKeys.timeout went to the earlier fetches (metadata)`,
        ),
      );
      return;
    }
    let settled = false;
    const onAbort = () => finish(deadlinePassed());
    const finish = (error: FetchJSONError | undefined, value?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (error) {
        request.destroy();
        reject(error);
      } else resolve(value as T);
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // No Accept-Encoding: the body arrives as sent, so the size cap is the size we parse. An
    // `accept` among the POST headers replaces the default (RFC 9701 asks for a JWT).
    const { post } = options;
    const request = send(url, {
      method: post === undefined ? 'GET' : 'POST',
      headers: {
        accept: 'application/json',
        ...(post && { ...post.headers, 'content-length': Buffer.byteLength(post.body) }),
      },
    });
    const timer = setTimeout(() => {
      finish(
        new FetchJSONError('timeout', `${url.href} did not answer within ${options.timeoutMs} ms`),
      );
    }, options.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });

    request.on('error', (cause) => {
      finish(
        new FetchJSONError(
          'network',
          `${url.href} could not be fetched (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
          undefined,
          cause,
        ),
      );
    });
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        // Following a redirect would let whoever answers this URL point us anywhere.
        finish(
          new FetchJSONError(
            'redirect',
            `${url.href} answered a redirect (${status}); redirects are not followed, configure the final URL`,
            status,
          ),
        );
        return;
      }
      if (status !== 200) {
        finish(new FetchJSONError('status', `${url.href} answered HTTP ${status}`, status));
        return;
      }
      const encoding = response.headers['content-encoding'];
      if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
        finish(new FetchJSONError('invalid-json', `${url.href} answered an encoded body`, status));
        return;
      }
      const tooLarge = () =>
        new FetchJSONError(
          'too-large',
          `${url.href} answered more than ${options.maxBytes} bytes`,
          status,
        );
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        finish(tooLarge());
        return;
      }
      const chunks: Buffer[] = [];
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > options.maxBytes) finish(tooLarge());
        else chunks.push(chunk);
      });
      response.on('error', (cause) => {
        finish(new FetchJSONError('network', `${url.href} broke off its answer`, status, cause));
      });
      response.on('close', () => {
        if (!response.complete) {
          finish(new FetchJSONError('network', `${url.href} broke off its answer`, status));
        }
      });
      response.on('end', () => {
        if (settled) return;
        try {
          finish(undefined, read(Buffer.concat(chunks), response));
        } catch (error) {
          finish(error as FetchJSONError);
        }
      });
    });
    request.end(post?.body);
  });
}
