import fc from 'fast-check';
import {
  displayNameProblem,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_SLUG_LENGTH,
  shortHash,
  slugify,
} from '../src/names/display-names';
import { SERVER_NAME_PATTERN, serverNameProblem } from '../src/names/names';

describe('display names', () => {
  it.each([
    'Clickhouse Local',
    'brave-search (beta)',
    '日本語サーバー',
    'GitHub 🐙',
    'a',
    'x'.repeat(MAX_DISPLAY_NAME_LENGTH),
  ])('accepts %p as written', (name) => {
    expect(displayNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['   ', /blank/],
    ['a\nb', /control/],
    ['a\u0000b', /control/],
    ['tab\there', /control/],
    ['bidi\u202Eoverride', /control/],
    ['lone \uD800 surrogate', /control/],
    ['x'.repeat(MAX_DISPLAY_NAME_LENGTH + 1), /at most 128/],
  ])('refuses %p', (name, message) => {
    expect(displayNameProblem(name)).toMatch(message);
  });

  it('refuses what is not a string', () => {
    expect(displayNameProblem(42)).toBe('must be a string');
  });
});

describe('slugify', () => {
  it('keeps a name that already is a slug', () => {
    expect(slugify('github')).toBe('github');
    expect(slugify('brave-search')).toBe('brave-search');
    expect(slugify('mcp-2')).toBe('mcp-2');
  });

  it('lowercases and folds compatibility forms without a hash: those names share a slug', () => {
    expect(slugify('GitHub')).toBe('github');
    expect(slugify('ＧｉｔＨｕｂ')).toBe('github');
  });

  it('adds a hash when characters were dropped, so near names stay apart', () => {
    const spaced = slugify('Clickhouse Local');
    expect(spaced).toMatch(/^clickhouse-local-[0-9a-f]{8}$/);
    expect(spaced).not.toBe(slugify('clickhouse-local'));
    expect(spaced).toBe(`clickhouse-local-${shortHash('clickhouse local')}`);
    expect(slugify('brave-search (beta)')).toMatch(/^brave-search-beta-[0-9a-f]{8}$/);
    expect(slugify('a--b')).not.toBe('a-b');
    expect(slugify('-dash')).toMatch(/^dash-[0-9a-f]{8}$/);
  });

  it('gives names without a single [a-z0-9] character a hash-only slug', () => {
    expect(slugify('日本語サーバー')).toMatch(/^[0-9a-f]{8}$/);
    expect(slugify('日本語サーバー')).not.toBe(slugify('中文服务器'));
  });

  it('never returns a reserved word', () => {
    expect(slugify('constructor')).toMatch(/^constructor-[0-9a-f]{8}$/);
    expect(slugify('__proto__')).toMatch(/^proto-[0-9a-f]{8}$/);
  });

  it('caps long names and keeps them apart', () => {
    const long = 'a'.repeat(200);
    expect(slugify(long).length).toBeLessThanOrEqual(MAX_SLUG_LENGTH);
    expect(slugify(long)).not.toBe(slugify(`${long}b`));
  });

  it('is deterministic and always a valid key-safe server name', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: MAX_DISPLAY_NAME_LENGTH }), (name) => {
        const slug = slugify(name);
        expect(slugify(name)).toBe(slug);
        expect(slug).toMatch(SERVER_NAME_PATTERN);
        expect(serverNameProblem(slug)).toBeUndefined();
        expect(slug.length).toBeLessThanOrEqual(MAX_SLUG_LENGTH);
      }),
      { numRuns: 2000 },
    );
  });
});
