import { describeEachBackend } from '@strata/test-harness';
import { ToolsCache, type RegistryBackend } from '@strata/registry/internals';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { nextEvent } from '../helpers';

const tool = (name: string): Tool => ({ name, inputSchema: { type: 'object' } });
const names = (entry: { tools?: readonly Tool[] } | undefined) => entry?.tools?.map((item) => item.name);

// Tool lists are kept per owner: the server's shared list, and one list per user for a server whose
// tools depend on the user. Two instances share the store and the bus; a refresh on one makes the
// other drop its local copy of exactly that entry.
describeEachBackend('tools cache: shared and per-user lists', (ctx) => {
  const caches: ToolsCache[] = [];
  afterEach(() => caches.splice(0).forEach((cache) => cache.close()));

  function cache(backend: RegistryBackend, instanceId: string): ToolsCache {
    const made = new ToolsCache({
      keyv: backend.toolsKeyv,
      bus: backend.bus,
      instanceId,
      clock: { now: Date.now },
      keys: backend.keys,
    });
    caches.push(made);
    return made;
  }

  it("users' lists never overwrite each other or the shared one, on every instance", async () => {
    const backendA = await ctx.newBackend();
    const backendB = ctx.kind === 'memory' ? backendA : await ctx.newBackend();
    await backendA.bus.start();
    await backendB.bus.start();
    const a = cache(backendA, 'a');
    const b = cache(backendB, 'b');

    await a.set('desk', 1, [tool('shared_tool')]);
    await a.set('desk', 1, [tool('alice_tool')], { userId: 'alice' });
    await a.set('desk', 1, [tool('bob_tool')], { userId: 'bob' });
    expect(names(await b.get('desk', { userId: 'alice' }))).toEqual(['alice_tool']);
    expect(names(await b.get('desk', { userId: 'bob' }))).toEqual(['bob_tool']);
    expect(names(await b.get('desk'))).toEqual(['shared_tool']);
    expect(names(await b.get('desk', { userId: 'carol' }))).toEqual(['shared_tool']); // no own list: the server's

    // Alice's list changes on A: B drops its copy of her entry when the announcement arrives.
    const announced = nextEvent(backendB, (event) => event.type === 'tools.changed' && event.version === 2);
    await a.set('desk', 2, [tool('alice_tool'), tool('alice_new')], { userId: 'alice' });
    await expect(announced).resolves.toMatchObject({ name: 'desk', forUserId: 'alice' });
    expect(names(await b.get('desk', { userId: 'alice' }))).toEqual(['alice_tool', 'alice_new']);
    expect(names(await b.get('desk', { userId: 'bob' }))).toEqual(['bob_tool']);
    expect(names(await b.get('desk'))).toEqual(['shared_tool']);
  });
});
