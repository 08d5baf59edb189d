import { LocalCache } from '@strata/registry/internals';

function clock(start = 0): { now(): number; advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

describe('LocalCache', () => {
  it('serves an entry until its TTL, then drops it', () => {
    const time = clock();
    const cache = new LocalCache<string>({ ttlMs: 100, maxEntries: 10, clock: time });
    cache.set('u1', 'a');
    time.advance(99);
    expect(cache.get('u1')).toBe('a');
    time.advance(1);
    expect(cache.get('u1')).toBeUndefined();
  });

  it('keeps an expired entry for getStale within its bound, never a deleted one', () => {
    const time = clock();
    const cache = new LocalCache<string>({ ttlMs: 100, maxEntries: 10, clock: time });
    cache.set('u1', 'a');
    time.advance(150);
    expect(cache.get('u1')).toBeUndefined();
    expect(cache.getStale('u1', 100)).toBe('a'); // expired 50 ms ago
    time.advance(60);
    expect(cache.getStale('u1', 100)).toBeUndefined(); // expired 110 ms ago
    cache.set('u2', 'b');
    cache.delete('u2');
    expect(cache.getStale('u2', 1_000_000)).toBeUndefined();
  });

  it('keeps at most maxEntries, evicting the least recently used', () => {
    const cache = new LocalCache<number>({ ttlMs: 1_000, maxEntries: 2, clock: clock() });
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recently used
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
  });

  it('reports each eviction made to stay within maxEntries, and nothing for deletes, replacements or expiry', () => {
    const time = clock();
    let evictions = 0;
    const cache = new LocalCache<number>({ ttlMs: 100, maxEntries: 3, clock: time, onEvict: () => (evictions += 1) });
    for (let i = 0; i < 10; i += 1) cache.set(`u${i}`, i);
    expect(cache.size).toBe(3);
    expect(evictions).toBe(7);
    cache.set('u9', 99); // replaced, not evicted
    cache.delete('u8');
    time.advance(500); // expired entries stay (for getStale) and are not counted
    expect(cache.get('u7')).toBeUndefined();
    expect(evictions).toBe(7);
    expect(cache.getStale('u9', 1_000)).toBe(99);
  });

  it('keeps nothing when the TTL or the bound is 0', () => {
    for (const options of [
      { ttlMs: 0, maxEntries: 10 },
      { ttlMs: 100, maxEntries: 0 },
    ]) {
      const cache = new LocalCache<number>({ ...options, clock: clock() });
      cache.set('a', 1);
      expect(cache.get('a')).toBeUndefined();
    }
  });

  it('deletes and clears', () => {
    const cache = new LocalCache<number>({ ttlMs: 1_000, maxEntries: 10, clock: clock() });
    cache.set('a', 1);
    cache.set('b', 2);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    cache.clear();
    expect(cache.size).toBe(0);
  });
});
