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
  'https://user@api.example.com/x',
  'https://api.example.com/x?y=1',
  'ftp://api.example.com/x',
  'https://api.example.com:70000/x',
];

describe('normalizeHtu', () => {
  it.each(INPUTS)('is idempotent on %s', (input) => {
    const normal = normalizeHtu(input);
    if (normal === undefined) return expect(normal).toBeUndefined();
    expect(normalizeHtu(normal)).toBe(normal);
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

  it.each(['https://user@api.example.com/x', 'https://api.example.com/x?y=1', 'ftp://a/x'])(
    'has no normal form for %s',
    (input) => {
      expect(normalizeHtu(input)).toBeUndefined();
    },
  );
});
