import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
} from '@nestjs/common';
import {
  TokenwardError,
  type AccessToken,
  type Verifier,
  type VerifierOptions,
} from '@tokenward/core';
import {
  explainStages,
  observeTokenStages,
  renderStages,
  type ExplainLine,
  type ExplainOutcome,
  type TokenStageReport,
} from '@tokenward/core/internal';
import { Public, TOKENWARD_VERIFIER } from '@tokenward/nest';
import type { Request, Response } from 'express';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG, VERIFIER_OPTIONS } from '../../config/runtime.module';
import { consolePage, consoleSecurityHeaders } from './console-page';
import { assertLoopbackRequest } from './loopback-host';

/** Longest token `/dev/explain` reads (the verifier's own limits are checked after this). */
const MAX_TOKEN_LENGTH = 16_384;

/** The answer of `POST /dev/explain`. */
export interface ExplainAnswer {
  /** Whether the app's verifier accepted the token. */
  readonly accepted: boolean;
  /** One line per stage, as `tokenward explain` reports it. */
  readonly stages: ExplainLine[];
  /** The lines as `tokenward explain` prints them. */
  readonly text: string;
  /** The refusal: its code, HTTP status, RFC 6750 error and message. */
  readonly error?: { code: string; status: number; error?: string; message: string };
  /** What the verifier decrypted and vouched for: the JWE header, the JWS header, the claims. */
  readonly layers: {
    readonly kind?: 'JWS' | 'JWE';
    readonly encryption?: Readonly<Record<string, unknown>>;
    readonly header?: Readonly<Record<string, unknown>>;
    readonly claims?: Readonly<Record<string, unknown>>;
  };
}

/**
 * `GET /dev`, the dev console page, and `POST /dev/explain`, the verifier's stage-by-stage
 * account of a token. Registered in dev mode only, like `/dev/token`, and answering only
 * requests whose `Host` names this machine (403 otherwise).
 */
@Public()
@Controller('dev')
export class DevConsoleController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TOKENWARD_VERIFIER) private readonly verifier: Verifier,
    @Inject(VERIFIER_OPTIONS) private readonly options: VerifierOptions,
  ) {}

  private get allowRemote(): boolean {
    return this.config.mode === 'dev' && this.config.allowRemote === true;
  }

  @Get()
  page(@Req() req: Request, @Res() res: Response): void {
    assertLoopbackRequest(req, this.allowRemote);
    const { nonce, headers } = consoleSecurityHeaders();
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.type('html').send(consolePage(nonce));
  }

  @Post('explain')
  @HttpCode(200)
  async explain(@Req() req: Request, @Body() body: unknown): Promise<ExplainAnswer> {
    assertLoopbackRequest(req, this.allowRemote);
    // Only a JSON body: a cross-site form cannot send one without a CORS preflight.
    if (!req.is('application/json')) {
      throw new BadRequestException('expected Content-Type: application/json');
    }
    const token = (body as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || token === '' || token.length > MAX_TOKEN_LENGTH) {
      throw new BadRequestException(
        `token: expected a string of 1 to ${MAX_TOKEN_LENGTH} characters`,
      );
    }
    const reports: TokenStageReport[] = [];
    let accepted: AccessToken | undefined;
    let error: TokenwardError | undefined;
    try {
      accepted = await observeTokenStages(
        (report) => reports.push(report),
        () => this.verifier.verify(token.trim()),
      );
    } catch (caught) {
      if (!(caught instanceof TokenwardError)) throw caught;
      error = caught;
    }
    const outcome: ExplainOutcome =
      accepted !== undefined
        ? { accepted: true, token: accepted }
        : { accepted: false, error: error as TokenwardError };
    // The same account as `tokenward explain` (core's explainStages); the page has no
    // unverified view of its own to add, and no DPoP proof to give.
    const stages = explainStages(reports, outcome, undefined, this.options, Date.now());
    const last = reports.at(-1);
    return {
      accepted: accepted !== undefined,
      stages,
      text: renderStages(stages, outcome),
      ...(error !== undefined && {
        error: {
          code: error.code,
          status: error.status,
          ...(error.error !== undefined && { error: error.error }),
          message: error.message,
        },
      }),
      layers: {
        ...(reports[0]?.kind !== undefined && { kind: reports[0].kind }),
        ...(last?.encryption !== undefined && { encryption: last.encryption }),
        ...(last?.header !== undefined && { header: last.header }),
        ...(last?.claims !== undefined && { claims: last.claims }),
      },
    };
  }
}
