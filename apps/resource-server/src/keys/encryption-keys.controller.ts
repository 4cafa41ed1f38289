import { Controller, Get, Header, Inject, NotFoundException } from '@nestjs/common';
import { encryptionKeySet, type JSONWebKeySet, type Verifier } from '@tokenward/core';
import { Public, TOKENWARD_VERIFIER } from '@tokenward/nest';

/**
 * `GET /jwks/enc`: public; the JWK Set an issuer encrypts this API's access tokens to (the public
 * part of each active decryption key; see `encryptionKeySet`). Not under `/.well-known/`: that
 * prefix is for names registered with IANA (RFC 8615 §3), and none exists for this set; an
 * issuer is given the URL when this API is registered with it.
 *
 * 404 when the verifier publishes no set: a tenant verifier (each tenant has its own keys, and
 * its tenants' sets are not served here), or one `createVerifier` did not build.
 */
@Controller('jwks')
export class EncryptionKeysController {
  constructor(@Inject(TOKENWARD_VERIFIER) private readonly verifier: Verifier) {}

  @Public()
  @Get('enc')
  // RFC 7517 §8.5: the media type of a JWK Set.
  @Header('Content-Type', 'application/jwk-set+json')
  keys(): JSONWebKeySet {
    const set = encryptionKeySet(this.verifier);
    if (set === undefined) throw new NotFoundException();
    return set;
  }
}
