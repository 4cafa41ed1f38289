/**
 * `tokenward explain`: runs the real verifier on a token and says, stage by stage, what it did
 * and why it refused (or accepted) the token: "compact: JWE (5 segments) → jwe: decrypted with
 * kid … → jws: RS256 signature ok → claims: REFUSED ERR_AUDIENCE_INVALID …".
 */
import type { Command } from 'commander';
import {
  createVerifier,
  TokenwardError,
  type AccessToken,
  type Verifier,
  type VerifierOptions,
  type VerifyContext,
} from '@tokenward/core';
import {
  explainStages,
  observeTokenStages,
  renderStages,
  type ExplainOutcome,
  type TokenStageReport,
} from '@tokenward/core/internal';

import { loadConfigFile, loadEnvConfig } from '../explain/load-config';
import { UsageError, type CliIo } from '../io';
import { inspectToken, TokenShapeError, type Inspection } from '../tokens/inspect-token';
import { readTokenArgument } from '../tokens/token-input';

/** Options of `explain`. */
interface ExplainFlags {
  config?: string;
  env?: boolean;
  at?: string;
  dpopProof?: string;
  method?: string;
  url?: string;
  json?: boolean;
}

async function loadOptions(flags: ExplainFlags, env: NodeJS.ProcessEnv): Promise<VerifierOptions> {
  if ((flags.config === undefined) === (flags.env !== true)) {
    throw new UsageError('give one of --config <file> and --env');
  }
  const options =
    flags.config !== undefined ? await loadConfigFile(flags.config) : loadEnvConfig(env);
  // Every run verifies afresh (no cache), and the CLI reports no metrics of its own.
  return { ...options, cache: false, metrics: false };
}

function verifyContext(flags: ExplainFlags): VerifyContext {
  const context: VerifyContext = {};
  if (flags.at !== undefined) {
    const ms = Date.parse(flags.at);
    if (Number.isNaN(ms)) throw new UsageError(`--at: not an ISO 8601 date or time: ${flags.at}`);
    context.currentDate = new Date(ms);
  }
  const dpop = [flags.dpopProof, flags.method, flags.url];
  if (dpop.some((v) => v !== undefined)) {
    if (dpop.some((v) => v === undefined)) {
      throw new UsageError('--dpop-proof, --method and --url go together');
    }
    context.dpop = {
      proof: flags.dpopProof as string,
      method: flags.method as string,
      url: flags.url as string,
    };
  }
  return context;
}

/** The verified token as --json shows it: headers and claims, never the token itself. */
function describeAccepted(token: AccessToken): Record<string, unknown> {
  return {
    header: token.header,
    ...(token.encryption !== undefined && { encryption: token.encryption }),
    claims: token.claims,
    binding: token.binding,
  };
}

/**
 * Adds `explain`. Exit code 0: the verifier accepts the token; 1: it refuses it (the refusing
 * stage and reason are printed); 2: a usage error, an unreadable or invalid config, or a
 * verifier that cannot say (503: keys or another dependency unavailable).
 *
 * @example `tokenward explain --config verifier.json "$TOKEN"`
 */
export function registerExplain(program: Command, io: CliIo): void {
  program
    .command('explain')
    .description(
      'Run the real verifier on a token and explain each stage: what passed, what refused and why.',
    )
    .argument('<token>', 'the token, or - to read it from stdin')
    .option(
      '--config <file>',
      'createVerifier options: .json (keys inline or {"file": "path"}) or .mjs',
    )
    .option('--env', "the sample resource server's TOKENWARD_* variables")
    .option('--at <time>', 'verify as of this instant (ISO 8601) instead of now')
    .option('--dpop-proof <proof>', 'the DPoP proof of a DPoP-bound token (with --method, --url)')
    .option('--method <method>', 'the request method the proof is for')
    .option('--url <url>', 'the absolute request URL the proof is for')
    .option('--json', 'print { accepted, stages, error, token } as JSON')
    .action(async (argument: string, flags: ExplainFlags) => {
      const options = await loadOptions(flags, io.env ?? process.env);
      const context = verifyContext(flags);
      const token = await readTokenArgument(argument, io.stdin);
      let verifier: Verifier;
      try {
        verifier = createVerifier(options);
      } catch (error) {
        // createVerifier's messages name the option at fault, never a key.
        throw new UsageError(`config: ${(error as Error).message}`);
      }
      let inspection: Inspection | undefined;
      try {
        inspection = inspectToken(token);
      } catch (error) {
        if (!(error instanceof TokenShapeError)) throw error;
      }
      const reports: TokenStageReport[] = [];
      let outcome: ExplainOutcome;
      try {
        const accepted = await observeTokenStages(
          (report) => reports.push(report),
          () => verifier.verify(token, context),
        );
        outcome = { accepted: true, token: accepted };
      } catch (error) {
        if (!(error instanceof TokenwardError)) throw error;
        outcome = { accepted: false, error };
      } finally {
        await verifier.close();
      }
      const nowMs = context.currentDate?.getTime() ?? Date.now();
      const lines = explainStages(
        reports,
        outcome,
        inspection,
        options,
        nowMs,
        context.dpop !== undefined,
      );
      if (flags.json === true) {
        io.stdout(
          `${JSON.stringify(
            {
              accepted: outcome.accepted,
              stages: lines,
              ...(outcome.accepted
                ? { token: describeAccepted(outcome.token) }
                : {
                    error: {
                      code: outcome.error.code,
                      status: outcome.error.status,
                      ...(outcome.error.error !== undefined && { error: outcome.error.error }),
                      message: outcome.error.message,
                    },
                  }),
            },
            null,
            2,
          )}\n`,
        );
      } else io.stdout(renderStages(lines, outcome));
      io.exit(outcome.accepted ? 0 : outcome.error.status >= 500 ? 2 : 1);
    });
}
