import { describeEachBackend, type BackendKind } from '@strata/test-harness';
import type { RegistryBackend } from '@strata/registry/internals';
import { stored } from '../helpers';

// The harness's describeEachBackend (packages/test-harness/src/describe-each-backend.ts). It lives
// here, not in the harness's own tests, because that project starts MongoDB and this needs none.
const seen: BackendKind[] = [];

describeEachBackend('describeEachBackend runs a suite on each backend', (ctx) => {
  let previousPrefix = '';
  let previous: RegistryBackend[] = [];
  const closed: RegistryBackend[] = [];

  /** Records the backend's close calls (then closes it). */
  function watchClose(backend: RegistryBackend): void {
    const close = backend.close.bind(backend);
    backend.close = () => {
      closed.push(backend);
      return close();
    };
  }

  it('gives each test a key prefix and a backend on it (memory: one per test; Redis: one per call)', async () => {
    seen.push(ctx.kind);
    expect(ctx.topology?.kind ?? 'memory').toBe(ctx.kind);
    expect(ctx.keyPrefix).toMatch(/^[A-Za-z0-9]+$/);
    previousPrefix = ctx.keyPrefix;
    const a = await ctx.newBackend();
    watchClose(a);
    const b = await ctx.newBackend({ timeoutMs: 500 });
    expect(a.keys.prefix).toBe(ctx.keyPrefix);
    expect(a.kind).toBe(ctx.kind === 'memory' ? 'memory' : 'redis');
    if (ctx.kind === 'memory') {
      expect(b).toBe(a); // instances of one deployment share the memory backend
    } else {
      expect(b).not.toBe(a);
      expect(b.timeoutMs).toBe(500);
      watchClose(b);
    }
    await a.tierStore('shared').put(stored('alpha', 1));
    previous = [...new Set([a, b])];
    expect(closed).toEqual([]);
  });

  it('closed the previous test’s backends, each once, and changed the key prefix', async () => {
    expect(ctx.keyPrefix).not.toBe(previousPrefix);
    expect(closed).toHaveLength(previous.length);
    for (const backend of previous) expect(closed).toContain(backend); // identity, not likeness
    const fresh = await ctx.newBackend();
    expect(previous).not.toContain(fresh);
    await expect(fresh.tierStore('shared').get('alpha')).resolves.toBeUndefined();
  });
});

afterAll(() => {
  expect(seen.sort()).toEqual(['cluster', 'memory', 'standalone']);
});
