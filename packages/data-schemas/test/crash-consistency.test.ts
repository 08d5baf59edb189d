// An admin process SIGKILLed at each step of an access change (a hook chooses the step): the
// revoked user loses the server on the surviving instance within the documented bound (the
// replayer's grace + interval + one replay; docs/architecture.md "Crash consistency"), and every
// user's cached view ends equal to what the database grants.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { RedisServerProcess } from '@strata/test-harness';
import { createStrata, type ChangeStep, type PublicEvent, type Strata } from '@strata/registry/internals';
import { createMongoAccessRepository } from '@strata/data-schemas';
import { openTestDatabase, type TestDatabase } from './support/test-database';

const ADMIN_PROCESS = join(__dirname, 'fixtures', 'admin-process.ts');
const GRACE_MS = 500;
const INTERVAL_MS = 200;
/** The documented bound: grace + one interval + one replay (a few round trips), with CI slack. */
const BOUND_MS = GRACE_MS + INTERVAL_MS + 1_500;
const config = { type: 'stdio', command: 'node', args: ['notes'] };

function line(child: ChildProcess, expected: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`no "${expected}" within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    const onExit = (code: number | null): void => {
      clearTimeout(timer);
      reject(new Error(`admin process exited (${String(code)}) before "${expected}": ${stderr}`));
    };
    child.once('exit', onExit);
    lines.on('line', (text) => {
      if (text !== expected) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.close();
      resolve();
    });
  });
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function accessChangedFor(strata: Strata, userId: string): Promise<PublicEvent> {
  return new Promise((resolve) => {
    const off = strata.subscribe((event) => {
      if (event.type === 'access.changed' && event.userIds.includes(userId)) {
        off();
        resolve(event);
      }
    });
  });
}

describe('an admin process killed (SIGKILL) during an access change', () => {
  let redis: RedisServerProcess;
  let database: TestDatabase;
  let survivor: Strata | undefined;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    [redis, database] = await Promise.all([RedisServerProcess.start(), openTestDatabase()]);
  });
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await survivor?.close();
    survivor = undefined;
    await Promise.all([redis.stop(), database.drop()]);
  });

  it.each<ChangeStep>(['before-write', 'after-write', 'after-effects'])(
    'killed at %s: caches end equal to the database, a revoke within the bound',
    async (step) => {
      const repository = await createMongoAccessRepository(database.connection);
      survivor = await createStrata({
        redis: { url: redis.url },
        keyPrefix: 'crash',
        repository,
        admin: { replayGraceMs: GRACE_MS, replayIntervalMs: INTERVAL_MS },
      });
      await survivor.start();
      await survivor.admin.createServer('notes', config, { userIds: ['u1', 'u2'] });
      expect((await survivor.login('u1')).has('notes')).toBe(true); // u1 holds it in the cache

      child = spawn(
        process.execPath,
        [
          '--require',
          'tsx/cjs',
          ADMIN_PROCESS,
          process.env['MONGO_URI'] ?? '',
          database.connection.name,
          redis.url,
          'crash',
          step,
          database.ferretDb ? '1' : '0',
        ],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      await line(child, 'ready');
      const revoked = accessChangedFor(survivor, 'u1');
      child.stdin?.write('go\n');
      await line(child, `reached ${step}`);
      const killedAt = Date.now();
      child.kill('SIGKILL');

      if (step === 'before-write') {
        // The change never reached the database: the replay finds nothing to undo, u1 keeps it.
        await within(
          (async () => {
            while (survivor.replayer.replayed === 0) await survivor.replayer.runOnce();
          })(),
          BOUND_MS,
          'the pending change replayed',
        );
        expect((await survivor.getServers({ userId: 'u1' })).has('notes')).toBe(true);
      } else {
        // after-write: the survivor's replayer invalidates u1; after-effects: the dead process did.
        await within(revoked, BOUND_MS - (Date.now() - killedAt), 'u1 invalidated');
        expect((await survivor.getServers({ userId: 'u1' })).has('notes')).toBe(false);
      }
      for (const user of ['u1', 'u2']) {
        const truth = (await repository.serversForUser(user)).map((server) => server.name).sort();
        expect({ user, cached: [...(await survivor.getServers({ userId: user })).keys()].sort() }).toEqual({
          user,
          cached: truth,
        });
      }
    },
  );
});
