import { normalizeHtu, requestHtu } from '../../src/binding/dpop/htu';

// The proof check compares a proof's htu as it is when it equals the request's normal form, and
// normalises it only otherwise. That is the same verdict as always normalising exactly when the
// normal form is a fixed point: normalizeHtu(normalizeHtu(x)) === normalizeHtu(x).
const INPUTS = [
  'https://api.example.com/messages',
  'HTTPS://API.EXAMPLE.COM:443/messages',
  'http://API.example.com:80',
  'http://127.0.0.1:8080/api/me',
  'https://[::1]:8443/a/b',
  'https://[2001:DB8::1]/',
  'https://api.example.com:00443/x',
  'https://api.example.com:08443/x',
  'HtTp://host/Path/With%2Fescapes/',
];

describe('normalizeHtu', () => {
  it.each(INPUTS)('is idempotent on %s', (input) => {
    const normal = normalizeHtu(input);
    expect(normal).toEqual(expect.any(String));
    expect(normalizeHtu(normal as string)).toBe(normal);
  });

  it('gives each request the form its proofs are compared with', () => {
    expect(normalizeHtu('HTTPS://API.EXAMPLE.COM:443/messages')).toBe(
      'https://api.example.com/messages',
    );
    expect(normalizeHtu('https://api.example.com:08443/x')).toBe('https://api.example.com:8443/x');
    expect(normalizeHtu('http://API.example.com:80')).toBe('http://api.example.com/');
    expect(requestHtu('https://API.example.com/', '/messages?page=2')).toBe(
      'https://api.example.com/messages',
    );
  });

  it.each([
    'https://user@api.example.com/x',
    'https://api.example.com/x?y=1',
    'ftp://api.example.com/x',
    'https://api.example.com:70000/x',
  ])('has no normal form for %s', (input) => {
    expect(normalizeHtu(input)).toBeUndefined();
  });
});

describe('requestHtu', () => {
  // The definition: the origin (trailing slashes dropped) and the path, normalised as one URI.
  const definition = (origin: string, target: string): string | undefined => {
    if (!target.startsWith('/')) return undefined;
    const end = target.search(/[?#]/);
    return normalizeHtu(`${origin.replace(/\/+$/, '')}${end < 0 ? target : target.slice(0, end)}`);
  };
  const ORIGINS = [
    'https://api.example.com',
    'HTTPS://API.EXAMPLE.COM:443',
    'https://api.example.com/',
    'https://api.example.com///',
    'http://127.0.0.1:8080',
    'http://[::1]:80',
    'https://api.example.com:08443',
    'https://api.example.com/base',
    'https://api.example.com?x',
    'https://user@api.example.com',
    'ftp://api.example.com',
    'https://api.example.com:99999',
  ];
  const TARGETS = ['/messages', '/Messages/7?x=1', '/a#frag', '/', '//double', 'messages', '*'];

  it('has no htu for an origin without a host, even for a target that starts with //', () => {
    // Normalised as one URI, 'https:' + '//evil.example.com/x' would read the target as the host.
    expect(requestHtu('https://', '//evil.example.com/x')).toBeUndefined();
    expect(requestHtu('https://', '/x')).toBeUndefined();
  });

  it('gives what normalising origin and path as one URI gives, the origin repeated or not', () => {
    for (const origin of ORIGINS) {
      for (const target of TARGETS) {
        // Twice in a row (the remembered origin) and after another origin (a fresh one).
        expect(requestHtu(origin, target)).toBe(definition(origin, target));
        expect(requestHtu(origin, target)).toBe(definition(origin, target));
        requestHtu('https://other.example.com', '/x');
        expect(requestHtu(origin, target)).toBe(definition(origin, target));
      }
    }
  });
});
