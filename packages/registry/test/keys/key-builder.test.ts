import fc from 'fast-check';
import {
  KeyBuilder,
  RESERVED_WORDS,
  ValidationError,
  decodeKeySegment,
  encodeKeySegment,
} from '@strata/registry/internals';
import { caught } from '../helpers';

const keys = new KeyBuilder('strata');
const HOSTILE = [
  '*',
  '?',
  '[',
  ']',
  '{',
  '}',
  ':',
  '\n',
  '\r\n',
  ' ',
  'x'.repeat(1024),
  'ünïcödé',
  '💥',
  '%2A',
  '__proto__',
  'constructor',
  '{strata:u:a}',
  'a}:{b',
];

/** Every key a user id can reach. */
function userKeys(userId: string): string[] {
  return [keys.userTag(userId), keys.userKey(userId, 'flag'), keys.userKey(userId, 'servers')];
}

/** The hash tag Redis Cluster would use for a key: the text between the first `{` and the next `}`. */
function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

describe('key segments', () => {
  it('never contain a glob character, a separator, a brace or whitespace', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (value) => {
        expect(encodeKeySegment(value)).toMatch(/^[A-Za-z0-9_.%-]*$/);
      }),
      { numRuns: 2_000 },
    );
  });

  it('are injective: distinct inputs give distinct segments, and decode back', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 100 }),
        fc.string({ unit: 'binary', maxLength: 100 }),
        (a, b) => {
          fc.pre(a !== b);
          expect(encodeKeySegment(a)).not.toBe(encodeKeySegment(b));
          expect(decodeKeySegment(encodeKeySegment(a))).toBe(a);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});

describe('user keys', () => {
  it('map distinct valid user ids to distinct keys, each in its own hash tag', () => {
    const userId = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 128,
    });
    fc.assert(
      fc.property(userId, userId, (a, b) => {
        fc.pre(a !== b && !RESERVED_WORDS.has(a) && !RESERVED_WORDS.has(b));
        const [ka, kb] = [userKeys(a), userKeys(b)];
        expect(ka.some((key) => kb.includes(key))).toBe(false);
        expect(hashTag(ka[1] ?? '')).toBe(hashTag(ka[2] ?? ''));
        expect(hashTag(ka[1] ?? '')).not.toBe(hashTag(kb[1] ?? ''));
      }),
      { numRuns: 2_000 },
    );
  });

  it.each(HOSTILE)('the hostile user id %j is rejected with INVALID_USER_ID or encoded', (userId) => {
    let built: string[] | undefined;
    try {
      built = userKeys(userId);
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).toMatchObject({ code: 'INVALID_USER_ID', issues: [expect.objectContaining({ path: 'userId' })] });
      return;
    }
    for (const key of built) {
      // one hash tag, the user's, and nothing after it that could open another
      expect(key.match(/[{}]/g)).toEqual(['{', '}']);
      expect(key.slice(key.indexOf('}') + 1)).toMatch(/^(:[a-z-]+)?$/);
      expect(key).not.toMatch(/[*?[\]\s]/);
    }
  });
});

describe('server names in keys', () => {
  it.each(HOSTILE)('the hostile name %j is rejected with INVALID_NAME', (name) => {
    expect(caught(() => keys.tierValueKey('shared', name))).toMatchObject({
      code: 'INVALID_NAME',
      issues: [{ path: 'name' }],
    });
  });

  it('map distinct valid names to distinct value keys inside the tier’s hash tag', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/);
    fc.assert(
      fc.property(name, name, (a, b) => {
        fc.pre(a !== b && !RESERVED_WORDS.has(a) && !RESERVED_WORDS.has(b));
        const [ka, kb] = [keys.tierValueKey('shared', a), keys.tierValueKey('shared', b)];
        expect(ka).not.toBe(kb);
        expect(hashTag(ka)).toBe('strata:shared');
        expect(hashTag(ka)).not.toBe(hashTag(keys.tierValueKey('app', a)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('refuses a key prefix that could form a pattern or a tag', () => {
    for (const prefix of ['', 'a*', 'a{b}', 'a:b', 'x'.repeat(33)]) {
      expect(caught(() => new KeyBuilder(prefix))).toMatchObject({
        code: 'INVALID_OPTIONS',
        issues: [{ path: 'keyPrefix' }],
      });
    }
  });
});
