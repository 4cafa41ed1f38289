/**
 * RFC 9457 problem details (errors/problem-details.ts): `toProblem()` of every kind of refusal,
 * the type URI rule, `withErrorFormat`, the verifier's `errorFormat` option, the runtime code
 * list against the `TokenwardErrorCodes` interface, and the docs/errors.md table against that
 * list.
 *
 * The table is generated: `WRITE_ERROR_TABLE=1 npx jest packages/core/test/errors/problem-details`
 * rewrites it from the list, then `npx prettier --write docs/errors.md` aligns it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AnomalyBlockedError,
  ClientApprovalUnavailableError,
  ClientNotApprovedError,
  createVerifier,
  FailureBudgetExhaustedError,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  IntrospectionUnavailableError,
  InvalidDPoPProofError,
  InvalidRequestError,
  InvalidTokenError,
  IpNotAllowedError,
  KeysUnavailableError,
  MissingTokenError,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE,
  problemType,
  RateLimitedError,
  ReplayCheckUnavailableError,
  RevocationUnavailableError,
  RiskTooHighError,
  RiskUnavailableError,
  TOKENWARD_ERROR_CODES,
  TokenQuarantinedError,
  TokenwardError,
  UseDPoPNonceError,
  VerifierBusyError,
  type TokenwardErrorCodes,
} from '@tokenward/core';
import { createTestIssuer, type TestIssuer } from '@tokenward/testing';
import { ERROR_CODE_OUTCOMES, type ErrorCodeOutcome } from '../../src/errors/error-codes';
import { problemTitle } from '../../src/errors/problem-details';

const ROOT = join(__dirname, '..', '..', '..', '..');

// Compile-time completeness (pnpm typecheck): a code of the interface missing from the runtime
// list makes `Missing` a non-never type and this line an error.
type Missing = Exclude<keyof TokenwardErrorCodes, keyof typeof ERROR_CODE_OUTCOMES>;
const complete: [Missing] extends [never] ? true : Missing = true;

/** The recorded outcome of a built-in code. */
const outcomeOf = (code: string): ErrorCodeOutcome =>
  (ERROR_CODE_OUTCOMES as Readonly<Record<string, ErrorCodeOutcome>>)[code] ?? { status: 0 };

describe('TokenwardError.toProblem()', () => {
  it('maps an invalid_token refusal to type, title, status, detail, code and error', () => {
    const error = new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token has expired');
    expect(error.toProblem()).toEqual({
      type: 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-token-expired',
      title: 'Invalid access token',
      status: 401,
      detail: 'the token has expired',
      code: 'ERR_TOKEN_EXPIRED',
      error: 'invalid_token',
    });
    // Members in RFC 9457 order, then the extensions.
    expect(Object.keys(error.toProblem())).toEqual([
      'type',
      'title',
      'status',
      'detail',
      'code',
      'error',
    ]);
  });

  it('gives a missing token neither `error` (RFC 6750 §3.1) nor a detail (its body is empty)', () => {
    const error = new MissingTokenError(
      'the request was not authenticated: mount authenticate() before this middleware',
    );
    expect(error.toJSON()).toEqual({});
    expect(error.toProblem()).toEqual({
      type: 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-token-missing',
      title: 'Access token required',
      status: 401,
      code: 'ERR_TOKEN_MISSING',
    });
  });

  it('uses the terse text as detail for a terse() error', () => {
    const error = new InvalidTokenError('ERR_JWS_SIGNATURE_INVALID', 'the signature is invalid');
    expect(error.terse().toProblem().detail).toBe('The access token is invalid');
    expect(error.toProblem().detail).toBe('the signature is invalid');
    const expired = new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token has expired').terse();
    expect(expired.toProblem().detail).toBe('The access token expired');
  });

  it('has the detail of error_description exactly, sanitised alike', () => {
    const error = new InvalidRequestError('ERR_REQUEST_MALFORMED', 'bad "quote"\\ and \n line');
    expect(error.toProblem().detail).toBe(error.toJSON().error_description);
    expect(error.toProblem().detail).toBe("bad 'quote'/ and ? line");
  });

  it('keeps the scope in the challenge of an insufficient_scope problem', () => {
    const error = new InsufficientScopeError('ERR_SCOPE_MISSING', 'needs write', ['reports:write']);
    expect(error.toProblem()).toMatchObject({
      title: 'Insufficient scope',
      status: 403,
      error: 'insufficient_scope',
    });
    expect(error.headers['WWW-Authenticate']).toContain('scope="reports:write"');
  });

  it('has no `error` member for the refusals without one (429, 503, 403 denied)', () => {
    const limited = new RateLimitedError('the rate limit burst is used up', 3, {
      RateLimit: '"burst";r=0;t=3',
    });
    expect(limited.toProblem()).toEqual({
      type: 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'the rate limit burst is used up',
      code: 'ERR_RATE_LIMITED',
    });
    expect(new KeysUnavailableError(5).toProblem()).toEqual({
      type: 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-keys-unavailable',
      title: 'Service unavailable',
      status: 503,
      detail: "the issuer's signing keys are temporarily unavailable; retry later",
      code: 'ERR_KEYS_UNAVAILABLE',
    });
    expect(new IpNotAllowedError().toProblem()).toMatchObject({
      title: 'Access denied',
      status: 403,
      code: 'ERR_IP_NOT_ALLOWED',
    });
    expect(new IpNotAllowedError().toProblem()).not.toHaveProperty('error');
  });

  it("titles an application's own status as a refused request", () => {
    class TeapotError extends TokenwardError {
      constructor() {
        super(418, undefined, 'ERR_TOKEN_REJECTED', 'short and stout');
      }
    }
    expect(new TeapotError().toProblem().title).toBe('Request refused');
  });
});

describe('problemType()', () => {
  it('is the base and the code without ERR_, lower-cased, `_` as `-`', () => {
    expect(PROBLEM_TYPE_BASE).toBe(
      'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-',
    );
    expect(problemType('ERR_TOKEN_EXPIRED')).toBe(
      'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-token-expired',
    );
    expect(problemType('ERR_DPOP_NONCE_REQUIRED')).toBe(
      'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-dpop-nonce-required',
    );
  });

  it('maps augmented codes by the same rule, always to a URI path segment', () => {
    expect(problemType('ERR_TENANT_SUSPENDED')).toBe(
      'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-tenant-suspended',
    );
    expect(problemType('Custom Code/2')).toBe(
      'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-custom-code-2',
    );
    expect(problemType('ERR___')).toBe(
      'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-error',
    );
  });

  it('gives every built-in code its own URI', () => {
    const types = TOKENWARD_ERROR_CODES.map(problemType);
    expect(new Set(types).size).toBe(TOKENWARD_ERROR_CODES.length);
    for (const type of types)
      expect(type).toMatch(
        /^https:\/\/github\.com\/tokenward\/tokenward\/blob\/main\/docs\/errors\.md#problem-[a-z0-9-]+$/,
      );
  });
});

describe('TokenwardError.withErrorFormat()', () => {
  it("defaults to 'oauth', and returns a copy in the other format", () => {
    const error = new InvalidTokenError('ERR_TOKEN_MALFORMED', 'malformed', { realm: 'r' });
    expect(error.errorFormat).toBe('oauth');
    expect(error.withErrorFormat('oauth')).toBe(error);
    const problem = error.withErrorFormat('problem');
    expect(problem).not.toBe(error);
    expect(problem).toBeInstanceOf(InvalidTokenError);
    expect(problem.errorFormat).toBe('problem');
    expect(error.errorFormat).toBe('oauth');
    expect([problem.code, problem.message, problem.realm]).toEqual([
      'ERR_TOKEN_MALFORMED',
      'malformed',
      'r',
    ]);
  });

  it('survives terse(), withRealm() and withChallenges()', () => {
    const problem = new InvalidTokenError('ERR_TOKEN_MALFORMED', 'malformed').withErrorFormat(
      'problem',
    );
    expect(problem.terse().errorFormat).toBe('problem');
    expect(problem.withRealm('other').errorFormat).toBe('problem');
    expect(problem.withChallenges({ bearer: true }).errorFormat).toBe('problem');
  });
});

describe("the verifier's errorFormat option", () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ keyManagementAlgorithm: false });
  });

  const refusal = (promise: Promise<unknown>): Promise<TokenwardError> =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: unknown) => error as TokenwardError,
    );

  it("presents errors in 'oauth' by default", async () => {
    const verifier = createVerifier(issuer.verifierOptions());
    const error = await refusal(verifier.verifyRequest({ headers: {} }));
    expect(error.errorFormat).toBe('oauth');
  });

  it("presents every error in 'problem' when set, terse included, without token or claims", async () => {
    const verifier = createVerifier(
      issuer.verifierOptions({ errorFormat: 'problem', errorDescriptions: 'terse' }),
    );
    const token = await issuer.issueInvalid('expired', { sub: 'subject-of-the-token' });
    const error = await refusal(verifier.verify(token));
    expect(error.errorFormat).toBe('problem');
    const problem = error.toProblem();
    expect(problem).toEqual({
      type: 'https://github.com/tokenward/tokenward/blob/main/docs/errors.md#problem-token-expired',
      title: 'Invalid access token',
      status: 401,
      detail: 'The access token expired',
      code: 'ERR_TOKEN_EXPIRED',
      error: 'invalid_token',
    });
    const text = JSON.stringify(problem);
    expect(text).not.toContain(token);
    expect(text).not.toContain('subject-of-the-token');
    expect(text).not.toContain(issuer.issuer);
  });

  it('refuses an unknown value with a TypeError naming errorFormat', () => {
    for (const errorFormat of ['json', 'Problem', '', 1, null]) {
      expect(() =>
        createVerifier(issuer.verifierOptions({ errorFormat: errorFormat as never })),
      ).toThrow(new TypeError(`errorFormat: expected 'oauth' or 'problem'`));
    }
  });

  it('exports the RFC 9457 media type', () => {
    expect(PROBLEM_CONTENT_TYPE).toBe('application/problem+json');
  });
});

describe('TOKENWARD_ERROR_CODES', () => {
  it('lists every code of the TokenwardErrorCodes interface, once', () => {
    expect(complete).toBe(true);
    const source = readFileSync(join(ROOT, 'packages/core/src/errors/errors.ts'), 'utf8');
    const body = /export interface TokenwardErrorCodes \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
    const declared = [...body.matchAll(/^\s*([A-Z][A-Z0-9_]*): true;/gm)].map((m) => m[1]);
    expect(declared.length).toBeGreaterThan(50);
    // As sets: the order is the interface's where blocks were added at its end, no more.
    expect([...TOKENWARD_ERROR_CODES].sort()).toEqual(declared.sort());
    expect(new Set(TOKENWARD_ERROR_CODES).size).toBe(TOKENWARD_ERROR_CODES.length);
    expect(Object.isFrozen(TOKENWARD_ERROR_CODES)).toBe(true);
  });

  it('records the status and error attribute the error classes really answer with', () => {
    const errors: TokenwardError[] = [
      new MissingTokenError(),
      new InvalidRequestError('ERR_REQUEST_MALFORMED', 'x'),
      new InvalidTokenError('ERR_TOKEN_EXPIRED', 'x'),
      new InsufficientScopeError('ERR_SCOPE_MISSING', 'x'),
      new InvalidDPoPProofError('ERR_DPOP_REPLAYED', 'x'),
      new UseDPoPNonceError('x'),
      new InsufficientUserAuthenticationError('ERR_AUTH_TOO_OLD', 'x'),
      new KeysUnavailableError(1),
      new VerifierBusyError(),
      new ReplayCheckUnavailableError(1),
      new RevocationUnavailableError(1),
      new IntrospectionUnavailableError(1),
      new RateLimitedError('x', 1),
      new IpNotAllowedError(),
      new ClientNotApprovedError(),
      new ClientApprovalUnavailableError(),
      new FailureBudgetExhaustedError(1),
      new TokenQuarantinedError(),
      new AnomalyBlockedError(1),
      new RiskTooHighError(),
      new RiskUnavailableError(),
    ];
    for (const error of errors) {
      const outcome = outcomeOf(error.code);
      expect([error.code, error.status, error.error]).toEqual([
        error.code,
        outcome.status,
        outcome.error,
      ]);
    }
  });
});

/** The rows docs/errors.md must list: one per built-in code, from the runtime list. */
function expectedRows(): string[][] {
  return TOKENWARD_ERROR_CODES.map((code) => {
    const { status, error } = outcomeOf(code);
    return [
      `\`${code}\``,
      String(status),
      error === undefined ? '—' : `\`${error}\``,
      `\`${problemType(code).slice(PROBLEM_TYPE_BASE.length)}\``,
      problemTitle(status, error),
    ];
  });
}

const DOC = join(ROOT, 'docs/errors.md');
const SECTION = /(<!-- error-codes:start -->\n)([\s\S]*?)(<!-- error-codes:end -->)/;
const HEADER = ['code', 'status', '`error`', '`type` slug', '`title`'];

/** Rewrites the table of docs/errors.md from the code list (unaligned: prettier aligns it). */
function writeTable(): void {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const table = [line(HEADER), line(HEADER.map(() => '---')), ...expectedRows().map(line)];
  const doc = readFileSync(DOC, 'utf8');
  writeFileSync(
    DOC,
    doc.replace(
      SECTION,
      (_all, start: string, _old, end: string) => `${start}\n${table.join('\n')}\n\n${end}`,
    ),
  );
}

/** The table between the error-codes markers of docs/errors.md, as cells (header row dropped). */
function documentedRows(): string[][] {
  const section = SECTION.exec(readFileSync(DOC, 'utf8'))?.[2];
  const rows = (section ?? '')
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    );
  expect(rows[0]).toEqual(HEADER);
  expect(rows[1]?.every((cell) => /^-+$/.test(cell))).toBe(true);
  return rows.slice(2);
}

describe('docs/errors.md', () => {
  beforeAll(() => {
    if (process.env['WRITE_ERROR_TABLE'] === '1') writeTable();
  });

  it('lists every code of TOKENWARD_ERROR_CODES', () => {
    const listed = documentedRows().map((row) => row[0]);
    for (const code of TOKENWARD_ERROR_CODES) expect(listed).toContain(`\`${code}\``);
  });

  it('has the table generated from the code list, row for row', () => {
    expect(documentedRows()).toEqual(expectedRows());
  });
});
