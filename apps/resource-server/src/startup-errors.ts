/**
 * Start-up failures as the operator reads them: one line per problem on stderr, naming the
 * environment variable to fix, never a stack trace.
 */
import { ConfigError } from './config/app-config';

// The verifier's option names (its TypeErrors start with one) and the variable that sets each.
const VARIABLE_OF_OPTION: Readonly<Record<string, string>> = {
  issuer: 'TOKENWARD_ISSUER',
  audience: 'TOKENWARD_AUDIENCE',
  jwksUri: 'TOKENWARD_JWKS_URI',
  discovery: 'TOKENWARD_ISSUER',
  decryptionKeys: 'TOKENWARD_DECRYPTION_KEYS',
  encryption: 'TOKENWARD_ENCRYPTION',
  claims: 'TOKENWARD_CLAIMS_PRESET',
};

// listen() failures are about where the app listens.
const LISTEN_CODES = new Set(['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

/** The first line of a message: a value can never spread a report over several lines. */
const firstLine = (text: string): string => text.split(/\r?\n/, 1)[0] as string;

/**
 * The lines to print for an error that stopped the start-up.
 *
 * @param error What `loadConfig`, `createApp` or `listen` threw.
 * @returns One line per problem, each naming the variable when one is to blame.
 * @example `for (const line of startupErrorLines(error)) console.error(line)`
 */
export function startupErrorLines(error: unknown): string[] {
  if (error instanceof ConfigError) {
    return error.problems.map((problem) => `Invalid configuration: ${firstLine(problem)}`);
  }
  const message = error instanceof Error ? firstLine(error.message) : String(error);
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && LISTEN_CODES.has(code)) {
    return [`Failed to start: HOST/PORT: ${message}`];
  }
  // The verifier validates its options once and names the option first ("jwksUri: …",
  // "decryptionKeys (kid …): …"); the message is kept whole, it says which key or part is wrong.
  const option = /^([A-Za-z]+)(?=[:.[ (])/.exec(message)?.[1];
  const variable = option === undefined ? undefined : VARIABLE_OF_OPTION[option];
  if (error instanceof TypeError && variable !== undefined) {
    return [`Invalid configuration: ${variable}: ${message}`];
  }
  return [`Failed to start: ${message}`];
}
