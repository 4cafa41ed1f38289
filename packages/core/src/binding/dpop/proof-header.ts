/** The `DPoP` request header (RFC 9449 §4.1): one line, exactly. */
import { InvalidDPoPProofError } from '../../errors/errors';
import { readHeader, type RequestLike } from '../../http/request';

/** How many `DPoP` header lines the request arrived with, per `rawHeaders`. */
function dpopLines(request: RequestLike): number {
  const raw = request.rawHeaders ?? request.raw?.rawHeaders;
  if (!Array.isArray(raw)) return -1;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name: unknown = raw[i];
    if (typeof name === 'string' && name.length === 4 && name.toLowerCase() === 'dpop') count++;
  }
  return count;
}

/**
 * The request's DPoP proof, or `undefined` when it has none.
 *
 * @throws InvalidDPoPProofError `ERR_DPOP_PROOF_MULTIPLE` for two header lines or more (RFC 9449
 *   §4.3 check 1): Node joins repeated custom headers with ", ", which no compact JWS contains.
 */
export function readDPoPHeader(request: RequestLike): string | undefined {
  const value = readHeader(request, 'dpop');
  const multiple = () =>
    new InvalidDPoPProofError(
      'ERR_DPOP_PROOF_MULTIPLE',
      'the request has more than one DPoP header',
    );
  if (dpopLines(request) > 1) throw multiple();
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length > 1) throw multiple();
    return value[0];
  }
  if (value.includes(',')) throw multiple();
  return value.trim();
}
