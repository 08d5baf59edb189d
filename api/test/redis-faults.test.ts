import { RedisServerProcess } from '@strata/test-harness';
import { call, startGroup, tokenFor, type ApiGroup } from './support/instances';

/** Repeats `probe` until it returns true; each attempt is a real request (an event), bounded overall. */
async function until(probe: () => Promise<boolean>, boundMs: number, what: string): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`${what} did not happen within ${boundMs} ms`);
}

const TYPED_503 = [
  'REDIS_UNAVAILABLE',
  'LOAD_TIMEOUT',
  'LOAD_FAILED',
  'TIMEOUT',
  'REQUEST_TIMEOUT',
  'APP_TIER_NOT_READY',
];

describe('Redis paused, killed and restarted under the API', () => {
  let redis: RedisServerProcess;
  let group: ApiGroup;
  let url: string;
  let admin: string;
  let kim: string;
  beforeAll(async () => {
    redis = await RedisServerProcess.start();
    group = await startGroup(1, { env: { REDIS_URI: redis.url, STRATA_REQUEST_TIMEOUT_MS: '4000' } });
    url = group.apis[0]!.url;
    admin = await tokenFor('root', 'admin');
    kim = await tokenFor('kim');
    const created = await call(`${url}/api/admin/servers`, {
      method: 'POST',
      token: admin,
      body: { name: 'kims', config: { type: 'sse', url: 'https://k.example/sse' }, access: { userIds: ['kim'] } },
    });
    expect(created.status).toBe(201);
    expect((await call(`${url}/api/auth/login`, { method: 'POST', token: kim, body: {} })).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    redis.resume();
    await group.close();
    await redis.stop();
  });

  it('paused: typed 503s or stale reads within the deadline, no crash; resumed: recovers by itself', async () => {
    redis.pause();
    try {
      const read = await call(`${url}/api/servers`, { token: kim });
      if (read.status === 200) {
        expect(read.body.servers.map((s: { name: string }) => s.name)).toContain('kims'); // served from the near cache
      } else {
        expect(read.status).toBe(503);
        expect(read.type).toContain('application/problem+json');
        expect(TYPED_503).toContain(read.body.code);
      }
      const write = await call(`${url}/api/admin/servers/kims/access`, {
        method: 'PUT',
        token: admin,
        body: { userIds: ['kim', 'lee'] },
      });
      expect([200, 503, 504]).toContain(write.status);
      if (write.status !== 200) expect(write.type).toContain('application/problem+json');
      const ready = await call(`${url}/readyz`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.find((c: { name: string }) => c.name === 'redis').ok).toBe(false);
      expect((await call(`${url}/healthz`)).status).toBe(200);
    } finally {
      redis.resume();
    }
    await until(async () => (await call(`${url}/readyz`)).status === 200, 15_000, 'readyz 200 after resume');
    const lee = await tokenFor('lee');
    // The change made during the outage reaches the caches (finished by the change replayer if needed).
    await until(
      async () => {
        const answer = await call(`${url}/api/servers`, { token: lee });
        return answer.status === 200 && answer.body.servers.some((s: { name: string }) => s.name === 'kims');
      },
      15_000,
      "lee's access after the outage",
    );
  }, 60_000);

  it('killed and restarted empty: the tiers are rebuilt from the database and the config file', async () => {
    await redis.kill();
    const during = await call(`${url}/api/servers`, { token: kim });
    expect([200, 503]).toContain(during.status);
    await redis.restart();
    await until(
      async () => {
        const answer = await call(`${url}/api/servers`, { token: kim });
        return answer.status === 200 && answer.body.servers.some((s: { name: string }) => s.name === 'kims');
      },
      15_000,
      "kim's servers after the restart",
    );
    const names = (await call(`${url}/api/servers`, { token: kim })).body.servers.map((s: { name: string }) => s.name);
    expect(names).toEqual(expect.arrayContaining(['filesystem', 'search', 'browser', 'kims']));
    expect((await call(`${url}/readyz`)).status).toBe(200);
  }, 60_000);
});
