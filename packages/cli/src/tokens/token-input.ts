/** The token argument of `inspect`, `decrypt` and `explain`: given inline, or `-` for stdin. */
import { UsageError } from '../io';

/**
 * The longest token read, in characters: far above any access token (the verifier's own default
 * cap is 16,384), low enough that a stray file piped in cannot exhaust memory.
 */
export const MAX_TOKEN_INPUT = 1024 * 1024;

/** Reads all of `stream` as UTF-8, refusing more than {@link MAX_TOKEN_INPUT} characters. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
    if (text.length > MAX_TOKEN_INPUT) {
      throw new UsageError(`stdin: more than ${MAX_TOKEN_INPUT} characters: not a token`);
    }
  }
  return text;
}

/**
 * The token named by the argument: the argument itself, or stdin for `-`; surrounding white
 * space (a trailing newline from `echo`) and an `Authorization` scheme prefix are removed.
 *
 * @param stdin Read for `-`. Default: the process's stdin.
 * @throws UsageError for an empty or over-long token.
 * @example `const token = await readTokenArgument(arg)`
 */
export async function readTokenArgument(
  argument: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string> {
  const raw = argument === '-' ? await readAll(stdin) : argument;
  if (raw.length > MAX_TOKEN_INPUT) {
    throw new UsageError(`token: more than ${MAX_TOKEN_INPUT} characters: not a token`);
  }
  const token = raw.trim().replace(/^(?:Bearer|DPoP)\s+/i, '');
  if (token === '') throw new UsageError(`token: empty${argument === '-' ? ' (stdin)' : ''}`);
  return token;
}
