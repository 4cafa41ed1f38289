/** RFC 9449 §7.1 challenges: which schemes are offered and where the error attributes go. */
import {
  InsufficientScopeError,
  InvalidDPoPProofError,
  InvalidTokenError,
  MissingTokenError,
  UseDPoPNonceError,
} from '@tokenward/core';

const algs = ['ES256', 'PS256'];

describe('challenges with DPoP', () => {
  it('without a challenge set: Bearer alone, as before', () => {
    expect(new MissingTokenError().challenge).toBe('Bearer realm="api"');
  });

  it('a missing token: both schemes, bare; DPoP alone when required', () => {
    const error = new MissingTokenError();
    expect(error.withChallenges({ bearer: true, dpopAlgorithms: algs }).challenge).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 PS256"',
    );
    expect(error.withChallenges({ bearer: false, dpopAlgorithms: algs }).challenge).toBe(
      'DPoP realm="api", algs="ES256 PS256"',
    );
  });

  it('a 403 under DPoP: the error and scope on the DPoP challenge', () => {
    const error = new InsufficientScopeError('ERR_SCOPE_MISSING', 'needs write', ['write']);
    expect(
      error.withChallenges({ bearer: true, dpopAlgorithms: algs, used: 'DPoP' }).challenge,
    ).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 PS256", error="insufficient_scope", error_description="needs write", scope="write"',
    );
  });

  it('a token error under Bearer stays on Bearer; a proof error is always on DPoP', () => {
    const token = new InvalidTokenError('ERR_TOKEN_BOUND', 'bound').withChallenges({
      bearer: true,
      dpopAlgorithms: algs,
      used: 'Bearer',
    });
    expect(token.challenge).toBe(
      'Bearer realm="api", error="invalid_token", error_description="bound", DPoP realm="api", algs="ES256 PS256"',
    );
    const proof = new InvalidDPoPProofError('ERR_DPOP_REPLAYED', 'used before').withChallenges({
      bearer: true,
      dpopAlgorithms: algs,
      used: 'Bearer',
    });
    expect(proof.challenge).toBe(
      'Bearer realm="api", DPoP realm="api", algs="ES256 PS256", error="invalid_dpop_proof", error_description="used before"',
    );
  });

  it('use_dpop_nonce carries the nonce header; terse keeps the challenges', () => {
    const error = new UseDPoPNonceError('send the nonce')
      .withChallenges({ bearer: true, dpopAlgorithms: algs, dpopNonce: 'abc.def' })
      .withRealm('messages')
      .terse();
    expect(error.headers).toEqual({
      'WWW-Authenticate':
        'Bearer realm="messages", DPoP realm="messages", algs="ES256 PS256", error="use_dpop_nonce", error_description="The DPoP proof must carry the nonce the server provided"',
      'DPoP-Nonce': 'abc.def',
    });
    expect(error.toJSON()).toEqual({
      error: 'use_dpop_nonce',
      error_description: 'The DPoP proof must carry the nonce the server provided',
    });
  });
});
