import { createRedisClient, parseClusterNodes } from '@strata/test-harness';
import { DEMO_SERVER_CONFIG } from '../src/embedded/seed';
import { call, startGroup, tokenFor, type ApiGroup } from './support/instances';
import { SseClient } from './support/sse-client';

/** The near-cache bound (registry and private tier default: 1 s) the issue allows after a revoke returns. */
const NEAR_CACHE_BOUND_MS = 1_000;

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no metric ${name}`);
  return Number(line.split(' ')[1]);
}

const names = (answer: { body: any }) => (answer.body.servers as Array<{ name: string }>).map((s) => s.name);

describe.each(['standalone', 'cluster'] as const)(
  'three API instances on one Redis (%s) and one MongoDB',
  (topology) => {
    let group: ApiGroup;
    let urls: string[];
    let admin: string;
    beforeAll(async () => {
      group = await startGroup(3, { redis: topology });
      urls = group.apis.map((api) => api.url);
      admin = await tokenFor('root', 'admin');
    }, 60_000);
    afterAll(() => group.close());

    it('admin revokes on 1 → GET on 2 stops listing it, the SSE on 3 hears it within 1 s, tool calls are refused and the connection closes', async () => {
      const [one, two, three] = urls as [string, string, string];
      const user = 'uma';
      const token = await tokenFor(user);
      const created = await call(`${one}/api/admin/servers`, {
        method: 'POST',
        token: admin,
        body: { name: 'tools-rev', config: DEMO_SERVER_CONFIG, access: { userIds: [user] } },
      });
      expect(created.status).toBe(201);
      expect(names(await call(`${two}/api/servers`, { token }))).toContain('tools-rev');
      const called = await call(`${two}/api/servers/tools-rev/tools/add/call`, {
        method: 'POST',
        token,
        body: { arguments: { a: 20, b: 22 } },
      });
      expect(called.status).toBe(200);
      expect(called.body.result.structuredContent).toEqual({ sum: 42 });

      const stream = await SseClient.open(`${three}/api/events`, token);
      expect(stream.status).toBe(200);
      const revoked = await call(`${one}/api/admin/servers/tools-rev/access`, {
        method: 'PUT',
        token: admin,
        body: { userIds: [] },
      });
      expect(revoked.status).toBe(200);
      const returnedAt = Date.now();
      await stream.next(
        (event) =>
          event.event === 'access.changed' && (JSON.parse(event.data) as { userIds: string[] }).userIds.includes(user),
        1_000,
        'access.changed for the user',
      );
      // The bound the issue allows: the call's return plus the near-cache bound.
      const wait = returnedAt + NEAR_CACHE_BOUND_MS - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      expect(names(await call(`${two}/api/servers`, { token }))).not.toContain('tools-rev');
      const refused = await call(`${two}/api/servers/tools-rev/tools/add/call`, {
        method: 'POST',
        token,
        body: { arguments: { a: 1, b: 2 } },
      });
      expect(refused.status).toBe(404);
      expect(refused.body.code).toBe('NOT_FOUND');
      // Instance 2 closed the user's connection: its state change reaches the stream on instance 3.
      await stream.next(
        (event) => {
          if (event.event !== 'connection.state') return false;
          const data = JSON.parse(event.data) as { name: string; state: string; scope: { userId?: string } };
          return data.name === 'tools-rev' && data.state === 'closed' && data.scope.userId === user;
        },
        5_000,
        'connection.state closed for tools-rev',
      );
      await stream.close();
    });

    it('a browser reconnecting to another instance with Last-Event-ID misses nothing and gets nothing twice; an expired id gets reset', async () => {
      const [one, two, three] = urls as [string, string, string];
      const user = 'vic';
      const token = await tokenFor(user);
      const server = (index: number) => `replay-${index}`;
      const changesFor = (client: SseClient) =>
        client.events.filter(
          (event) =>
            event.event === 'access.changed' &&
            (JSON.parse(event.data) as { userIds: string[] }).userIds.includes(user),
        );
      const first = await SseClient.open(`${one}/api/events`, token);
      for (let index = 0; index < 3; index += 1) {
        await call(`${three}/api/admin/servers`, {
          method: 'POST',
          token: admin,
          body: {
            name: server(index),
            config: { type: 'sse', url: 'https://a.example/sse' },
            access: { userIds: [user] },
          },
        });
      }
      await first.next(() => changesFor(first).length >= 3, 5_000, 'three access changes');
      await first.close();
      const lastSeen = first.lastEventId;
      expect(lastSeen).toMatch(/^\d+-\d+$/);

      // While disconnected: three more changes for the user.
      for (let index = 3; index < 6; index += 1) {
        await call(`${three}/api/admin/servers`, {
          method: 'POST',
          token: admin,
          body: {
            name: server(index),
            config: { type: 'sse', url: 'https://a.example/sse' },
            access: { userIds: [user] },
          },
        });
      }
      const second = await SseClient.open(`${two}/api/events`, token, lastSeen);
      await second.next(() => changesFor(second).length >= 3, 5_000, 'the three missed access changes');
      // One more live change after the replay.
      await call(`${three}/api/admin/servers/${server(0)}`, { method: 'DELETE', token: admin });
      await second.next(() => changesFor(second).length >= 4, 5_000, 'the live change after the replay');
      const ids = second.events.map((event) => event.id);
      expect(new Set(ids).size).toBe(ids.length); // nothing twice
      const seenIds = new Set(first.events.map((event) => event.id));
      expect(ids.filter((id) => seenIds.has(id))).toEqual([]); // nothing already seen
      expect([...ids].sort(compareIds)).toEqual(ids); // in order
      expect(changesFor(second)).toHaveLength(4);
      await second.close();

      // Retention passes (the stream trimmed to its last entry): the old id gets an explicit reset.
      const redis = createRedisClient(
        topology === 'standalone'
          ? { kind: 'standalone', url: process.env['REDIS_URI']! }
          : { kind: 'cluster', nodes: parseClusterNodes(process.env['REDIS_CLUSTER_NODES']!) },
      );
      try {
        await redis.xtrim(`${group.keyPrefix}:events`, 'MAXLEN', 1);
      } finally {
        redis.disconnect();
      }
      const third = await SseClient.open(`${three}/api/events`, token, lastSeen);
      const reset = await third.next((event) => event.event === 'reset', 5_000, 'reset');
      expect(reset.id).toMatch(/^\d+-\d+$/);
      expect(third.events.filter((event) => event.event === 'access.changed')).toEqual([]);
      await third.close();
    });

    it('1,000 concurrent sign-ins of 100 users across three instances → the loader runs 100 times', async () => {
      const loads = async () =>
        (await Promise.all(urls.map((url) => metric(url, 'strata_loads_total')))).reduce((a, b) => a + b, 0);
      const before = await loads();
      const users = Array.from({ length: 100 }, (_, index) => `storm-${topology}-${index}`);
      const tokens = await Promise.all(users.map((user) => tokenFor(user)));
      const answers = await Promise.all(
        Array.from({ length: 1_000 }, (_, index) =>
          call(`${urls[index % 3]!}/api/auth/login`, { method: 'POST', token: tokens[index % 100]!, body: {} }),
        ),
      );
      expect(answers.filter((answer) => answer.status !== 200).map((answer) => answer.body)).toEqual([]);
      expect((await loads()) - before).toBe(100);
    }, 60_000);

    it('lists every instance (heartbeats) with its connections', async () => {
      const answer = await call(`${urls[0]!}/api/admin/instances`, { token: admin });
      expect(answer.status).toBe(200);
      const ids = (answer.body.instances as Array<{ instanceId: string; url: string }>).map((i) => i.instanceId).sort();
      expect(ids).toEqual(group.apis.map((api) => api.strata.instanceId).sort());
    });
  },
);

function compareIds(a: string | undefined, b: string | undefined): number {
  const [am = 0n, as = 0n] = (a ?? '0-0').split('-').map(BigInt);
  const [bm = 0n, bs = 0n] = (b ?? '0-0').split('-').map(BigInt);
  return am === bm ? Number(as - bs) : am < bm ? -1 : 1;
}

describe('rate limits shared across instances (Redis store)', () => {
  let group: ApiGroup;
  beforeAll(async () => {
    group = await startGroup(2, { env: { STRATA_SIGNIN_RATE_PER_MIN: '3', STRATA_TOOL_CALL_RATE_PER_MIN: '2' } });
  }, 60_000);
  afterAll(() => group.close());

  it("a user's 4th sign-in in a minute, on either instance, is a 429 RATE_LIMITED problem; other users are not affected", async () => {
    const [one, two] = group.apis.map((api) => api.url) as [string, string];
    const token = await tokenFor('quinn');
    const statuses: number[] = [];
    for (const url of [one, two, one])
      statuses.push((await call(`${url}/api/auth/login`, { method: 'POST', token, body: {} })).status);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await call(`${two}/api/auth/login`, { method: 'POST', token, body: {} });
    expect(limited.status).toBe(429);
    expect(limited.type).toContain('application/problem+json');
    expect(limited.body.code).toBe('RATE_LIMITED');
    expect(
      (await call(`${one}/api/auth/login`, { method: 'POST', token: await tokenFor('rosa'), body: {} })).status,
    ).toBe(200);
  });

  it('tool calls are limited per user across instances', async () => {
    const [one, two] = group.apis.map((api) => api.url) as [string, string];
    const token = await tokenFor('sam');
    // The server does not exist for sam: each call is counted, then answered 404.
    const first = await call(`${one}/api/servers/nope/tools/x/call`, { method: 'POST', token, body: {} });
    const second = await call(`${two}/api/servers/nope/tools/x/call`, { method: 'POST', token, body: {} });
    expect([first.status, second.status]).toEqual([404, 404]);
    const third = await call(`${one}/api/servers/nope/tools/x/call`, { method: 'POST', token, body: {} });
    expect(third.status).toBe(429);
    expect(third.body.code).toBe('RATE_LIMITED');
  });
});
