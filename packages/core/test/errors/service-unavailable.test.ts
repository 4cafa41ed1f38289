/** The 503 family: one base class, `Retry-After` and no challenge, a body without `error`. */
import {
  KeysUnavailableError,
  ReplayCheckUnavailableError,
  ServiceUnavailableError,
  TokenwardError,
  VerifierBusyError,
} from '@tokenward/core';

describe('ServiceUnavailableError', () => {
  it.each([
    ['KeysUnavailableError', new KeysUnavailableError(2.2), 'ERR_KEYS_UNAVAILABLE', '3'],
    ['VerifierBusyError', new VerifierBusyError(), 'ERR_VERIFIER_BUSY', '1'],
    [
      'ReplayCheckUnavailableError',
      new ReplayCheckUnavailableError(0),
      'ERR_REPLAY_STORE_UNAVAILABLE',
      '1',
    ],
  ])('%s is a 503 with Retry-After and no challenge', (_name, error, code, retryAfter) => {
    expect(error).toBeInstanceOf(ServiceUnavailableError);
    expect(error).toBeInstanceOf(TokenwardError);
    expect(error).toMatchObject({ status: 503, code, error: undefined });
    expect(error.headers).toEqual({ 'Retry-After': retryAfter });
    expect(error.toJSON()).toEqual({ error_description: error.message });
    // A verifier with DPoP adds its challenges to every refusal; a 503 still sends none.
    expect(error.withChallenges({ bearer: true, dpopAlgorithms: ['ES256'] }).headers).toEqual({
      'Retry-After': retryAfter,
    });
  });
});
