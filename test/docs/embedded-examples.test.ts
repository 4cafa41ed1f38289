/**
 * The guides' code blocks are the example files: a fenced block right after a
 * `<!-- example: <path> -->` marker must equal that file's contents, so the documentation cannot
 * drift from the code that test/docs/migration.e2e-spec.ts and test/e2e/fastify-plain.e2e-spec.ts
 * run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const MARKER = /<!-- example: (\S+) -->\n\n?(?:```[a-z]*\n([\s\S]*?)```)?/g;

/** Every guide with the example files it must embed. */
const GUIDES: Record<string, string[]> = {
  'docs/migration/from-express-jwt.md': [
    'examples/migration/express-jwt/before.ts',
    'examples/migration/express-jwt/after.ts',
  ],
  'docs/migration/from-express-oauth2-jwt-bearer.md': [
    'examples/migration/express-oauth2-jwt-bearer/before.mjs',
    'examples/migration/express-oauth2-jwt-bearer/after.ts',
  ],
  'docs/migration/from-passport-jwt.md': [
    'examples/migration/passport-jwt/before.mjs',
    'examples/migration/passport-jwt/after.ts',
  ],
  'docs/fastify.md': ['examples/fastify/plain.ts'],
};

function embedded(guide: string): Array<{ path: string; block: string | undefined }> {
  const text = readFileSync(join(ROOT, guide), 'utf8');
  return [...text.matchAll(MARKER)].map((m) => ({ path: m[1]!, block: m[2] }));
}

describe('example code embedded in the guides', () => {
  it('lists every migration guide', () => {
    const guides = readdirSync(join(ROOT, 'docs/migration'))
      .filter((name) => name.endsWith('.md'))
      .map((name) => `docs/migration/${name}`);
    expect(
      Object.keys(GUIDES)
        .filter((g) => g.startsWith('docs/migration/'))
        .sort(),
    ).toEqual(guides.sort());
  });

  describe.each(Object.entries(GUIDES))('%s', (guide, required) => {
    it('embeds its before and after examples', () => {
      expect(embedded(guide).map((e) => e.path)).toEqual(expect.arrayContaining(required));
    });

    it.each(embedded(guide))('shows $path exactly as the file is', ({ path, block }) => {
      expect(block).toBe(readFileSync(join(ROOT, path), 'utf8'));
    });
  });
});
