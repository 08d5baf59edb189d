// Fifty instances in one process (a test runner, a bench, a multi-tenant host) must not make Node
// warn: a MaxListenersExceededWarning means listeners pile up on something shared. Memory: fifty
// instances on one backend (one deployment, one in-process bus: five subscribers per instance).
// Redis: fifty backends, each with its own connections (half of them built by createStrata).
import { runInThisContext } from 'node:vm';
import { describeEachBackend } from '@strata/test-harness';
import { createStrata, type Strata, type StrataOptions } from '@strata/registry/internals';
import { connectionFor } from '../helpers';

/** The real `process` (a test file's `process` is Jest's sandboxed copy, whose listeners Node never calls). */
const hostProcess = runInThisContext('process') as NodeJS.Process;
const COUNT = 50;
const PROCESS_EVENTS = ['exit', 'beforeExit', 'SIGINT', 'SIGTERM', 'uncaughtException', 'unhandledRejection'];

function processListeners(): Record<string, number> {
  return Object.fromEntries(PROCESS_EVENTS.map((event) => [event, hostProcess.listenerCount(event)]));
}

describeEachBackend('fifty instances in one process', (ctx) => {
  it('start, serve, change and close without a warning, leaving no listener on the process', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    const before = processListeners();
    hostProcess.on('warning', onWarning);
    const instances: Strata[] = [];
    try {
      const build = async (options: StrataOptions): Promise<void> => {
        const strata = await createStrata(options);
        instances.push(strata);
        await strata.start();
        expect(strata.backend.health().ready).toBe(true); // every client of this instance connected
      };
      for (let i = 0; i < COUNT; i += 1) {
        // Redis: half the backends built by the harness (createRedisBackend), half by createStrata itself.
        if (ctx.topology && i % 2 === 1) await build({ redis: connectionFor(ctx.topology), keyPrefix: ctx.keyPrefix });
        else await build({ backend: await ctx.newBackend(), keyPrefix: ctx.keyPrefix });
      }
      await Promise.all(instances.map((strata, i) => strata.login(`u${i}`)));
      const [first] = instances;
      await first?.admin.createServer(
        'notes',
        { type: 'streamable-http', url: 'https://notes.example/mcp' },
        {
          userIds: ['u1', 'u2'],
        },
      );
      await Promise.all(instances.map((strata) => strata.getServers({ userId: 'u1' })));
      await Promise.all(instances.map((strata) => strata.close()));
      // A warning is emitted on the tick after the listener that crossed the limit was added.
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings).toEqual([]);
      expect(processListeners()).toEqual(before);
    } finally {
      hostProcess.off('warning', onWarning);
      await Promise.all(instances.map((strata) => strata.close()));
    }
  }, 120_000); // fifty instances, each with three Redis connections, on a machine that may be busy
});
