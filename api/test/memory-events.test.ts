import { MemoryEventLog } from '@strata/api';
import { call, startGroup, tokenFor, type ApiGroup } from './support/instances';
import { SseClient } from './support/sse-client';

describe('live events in memory mode (in-process ring buffer)', () => {
  let group: ApiGroup;
  let url: string;
  let admin: string;
  beforeAll(async () => {
    group = await startGroup(1, {
      redis: 'memory',
      env: { STRATA_EVENT_RETENTION: '10', STRATA_SSE_HEARTBEAT_MS: '100' },
    });
    url = group.apis[0]!.url;
    admin = await tokenFor('root', 'admin');
  });
  afterAll(() => group.close());

  const create = (name: string, userIds: string[]) =>
    call(`${url}/api/admin/servers`, {
      method: 'POST',
      token: admin,
      body: { name, config: { type: 'sse', url: 'https://a.example/sse' }, access: { userIds } },
    });
  const mine = (client: SseClient, user: string) =>
    client.events.filter(
      (e) => e.event === 'access.changed' && (JSON.parse(e.data) as { userIds: string[] }).userIds.includes(user),
    );

  it('carries only the events that concern the user, replays from Last-Event-ID, and sends heartbeats', async () => {
    const token = await tokenFor('wes');
    const stream = await SseClient.open(`${url}/api/events`, token);
    await create('mem-1', ['wes']);
    await create('mem-other', ['xena']); // concerns xena only
    await create('mem-2', ['wes']);
    await stream.next(() => mine(stream, 'wes').length >= 2, 5_000, 'two changes for wes');
    expect(stream.events.filter((e) => e.event === 'access.changed').every((e) => e.data.includes('"wes"'))).toBe(true);
    await stream.close();

    await create('mem-3', ['wes']);
    const again = await SseClient.open(`${url}/api/events`, token, stream.lastEventId);
    await again.next(() => mine(again, 'wes').length >= 1, 5_000, 'the missed change');
    expect(mine(again, 'wes').map((e) => e.data)).toEqual([expect.stringContaining('"wes"')]);
    // A heartbeat is a comment line (every 100 ms here): it arrives, and it is no event.
    await again.nextComment(2_000);
    expect(again.events.every((e) => e.event !== 'message')).toBe(true);
    await again.close();
  });

  it('an id older than the buffer gets reset', async () => {
    const token = await tokenFor('yan');
    const stream = await SseClient.open(`${url}/api/events`, token);
    await create('old-1', ['yan']);
    await stream.next(() => mine(stream, 'yan').length >= 1, 5_000, 'a change for yan');
    await stream.close();
    for (let index = 0; index < 12; index += 1) await create(`flood-${index}`, ['zed']); // > retention (10)
    const again = await SseClient.open(`${url}/api/events`, token, stream.lastEventId);
    const reset = await again.next((e) => e.event === 'reset', 5_000, 'reset');
    expect(JSON.parse(reset.data)).toEqual({ reason: expect.stringMatching(/retention/) });
    await again.close();
  });

  it('MemoryEventLog: ids increase, replay is exact, a malformed or unknown id is a reset', async () => {
    const log = new MemoryEventLog({ maxLength: 3, now: () => 1_000 });
    const ids: string[] = [];
    for (const userId of ['a', 'b', 'c', 'd'])
      ids.push(await log.append({ type: 'user.loaded', userId, instance: 'i' }));
    expect(ids).toEqual(['1000-0', '1000-1', '1000-2', '1000-3']);
    expect(await log.replay('1000-1')).toEqual({
      reset: false,
      events: [
        { id: '1000-2', event: expect.anything() },
        { id: '1000-3', event: expect.anything() },
      ],
    });
    expect((await log.replay('1000-0')).reset).toBe(true); // trimmed
    expect((await log.replay('nonsense')).reset).toBe(true);
    expect((await log.replay('9999-0')).reset).toBe(true); // from another log
  });
});
