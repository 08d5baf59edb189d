import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '@strata/api';
import { call, startGroup, tokenFor, type ApiGroup } from './support/instances';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, '.ci', 'mongo-server.sh');

/** Repeats `probe` (a real request each time) until it returns true, bounded overall. */
async function until(probe: () => Promise<boolean>, boundMs: number, what: string): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${what} did not happen within ${boundMs} ms`);
}

// A FerretDB of this test's own (the repo's script, data kept in a temp folder so a restart keeps it);
// runs where the harness's MongoDB is FerretDB too, i.e. where a Go toolchain built it.
const haveFerret =
  /ferretdb/i.test(process.env['MONGO_SERVER_NAME'] ?? '') || process.env['STRATA_FERRETDB_TESTS'] === '1';
const describeFerret = haveFerret ? describe : describe.skip;

describeFerret('MongoDB stopped and restarted under the API (own FerretDB)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-mongo-fault-'));
  const env = { ...process.env, STRATA_MONGO_DATA_DIR: dataDir };
  let port = '';
  let group: ApiGroup;
  beforeAll(async () => {
    const { stdout } = await run('bash', [SCRIPT], { env, timeout: 600_000 });
    const uri = /^MONGO_URI=(.+)$/m.exec(stdout)?.[1];
    if (!uri) throw new Error('mongo-server.sh printed no MONGO_URI');
    port = new URL(uri).port;
    group = await startGroup(1, { env: { MONGO_URI: uri, STRATA_REQUEST_TIMEOUT_MS: '8000' } });
  }, 600_000);
  afterAll(async () => {
    await group?.close();
    await run('bash', [SCRIPT, 'stop', port], { env, timeout: 30_000 }).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stopped: typed 503 DATABASE_UNAVAILABLE for writes within the deadline, loaded users still read; restarted: recovers', async () => {
    const url = group.apis[0]!.url;
    const admin = await tokenFor('root', 'admin');
    const una = await tokenFor('una');
    const create = (name: string) =>
      call(`${url}/api/admin/servers`, {
        method: 'POST',
        token: admin,
        body: { name, config: { type: 'sse', url: 'https://m.example/sse' }, access: { userIds: ['una'] } },
      });
    expect((await create('before-stop')).status).toBe(201);
    expect((await call(`${url}/api/auth/login`, { method: 'POST', token: una, body: {} })).status).toBe(200);

    await run('bash', [SCRIPT, 'stop', port], { env, timeout: 30_000 });
    const write = await create('during-stop');
    expect(write.status).toBe(503);
    expect(write.type).toContain('application/problem+json');
    expect(write.body.code).toBe('DATABASE_UNAVAILABLE');
    const read = await call(`${url}/api/servers`, { token: una }); // loaded: served from the caches
    expect(read.status).toBe(200);
    expect(read.body.servers.map((s: { name: string }) => s.name)).toContain('before-stop');
    const ready = await call(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.find((c: { name: string }) => c.name === 'mongodb').ok).toBe(false);

    await run('bash', [SCRIPT, port], { env, timeout: 120_000 });
    await until(async () => (await call(`${url}/readyz`)).status === 200, 30_000, 'readyz 200 after the restart');
    expect((await create('after-restart')).status).toBe(201);
    const names = (await call(`${url}/api/servers`, { token: una })).body.servers.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['before-stop', 'after-restart']));
  }, 120_000);
});
