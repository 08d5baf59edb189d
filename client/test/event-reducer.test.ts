import { eventReducer, initialEventState, type EventAction, type EventState } from '../src/events/event-reducer';

const USER = 'uma';
const run = (actions: EventAction[], state: EventState = initialEventState()) =>
  actions.reduce((current, action) => eventReducer(current, action, USER), state);
const msg = (id: string, data: object, event?: string): EventAction => ({
  type: 'message',
  id,
  event: event ?? (data as { type: string }).type,
  data: JSON.stringify(data),
});
const access = (userIds: string[]) => ({ type: 'access.changed', userIds, instance: 'i1' });

describe('eventReducer', () => {
  it('an access change naming the user makes the server list stale; one naming others does not', () => {
    const state = run([{ type: 'opened', at: 1_000 }, msg('1000-0', access(['bob'])), msg('1001-0', access([USER]))]);
    expect(state.serversGeneration).toBe(1);
    expect(state.lastEventId).toBe('1001-0');
    expect(state.log.map((entry) => entry.id)).toEqual(['1001-0', '1000-0']);
  });

  it('server and tier changes make the list stale for everyone; tools.changed bumps only that server', () => {
    const state = run([
      msg('5-0', { type: 'server.changed', tier: 'shared', name: 'wiki', version: 3, change: 'put', instance: 'i' }),
      msg('6-0', { type: 'tier.replaced', tier: 'app', version: 2, instance: 'i' }),
      msg('7-0', { type: 'tools.changed', name: 'wiki', version: 4, instance: 'i' }),
    ]);
    expect(state.serversGeneration).toBe(2);
    expect(state.toolsGeneration).toEqual({ wiki: 1 });
  });

  it('applies an event once: an id at or before the last one is ignored (replay overlap)', () => {
    const once = run([msg('10-0', access([USER])), msg('11-0', access([USER]))]);
    const again = run([
      msg('10-0', access([USER])),
      msg('11-0', access([USER])),
      msg('11-0', access([USER])),
      msg('9-5', access([USER])),
    ]);
    expect(again).toEqual(once);
    expect(compareOrder(run([msg('10-9', access([USER])), msg('10-10', access([USER]))]).log)).toEqual([
      '10-10',
      '10-9',
    ]);
  });

  it('reset refetches everything and continues from the id it carries, even one older than ours', () => {
    const before = run([msg('20-0', access([USER])), { type: 'message', id: '15-0', event: 'reset', data: '' }]);
    expect(before.resets).toBe(1);
    expect(before.lastEventId).toBe('15-0');
    expect(before.serversGeneration).toBe(2);
    // After the reset an event newer than its id is applied, not dropped as a duplicate.
    expect(run([msg('16-0', access([USER]))], before).serversGeneration).toBe(3);
  });

  it('tracks connection states of the user and app scopes only', () => {
    const state = run([
      msg('1-0', {
        type: 'connection.state',
        name: 'a',
        scope: { kind: 'user', userId: USER },
        state: 'connected',
        instance: 'i',
      }),
      msg('2-0', {
        type: 'connection.state',
        name: 'b',
        scope: { kind: 'user', userId: 'bob' },
        state: 'error',
        instance: 'i',
      }),
      msg('3-0', {
        type: 'connection.state',
        name: 'c',
        scope: { kind: 'app' },
        state: 'reconnecting',
        attempt: 2,
        instance: 'i',
      }),
      msg('4-0', {
        type: 'connection.state',
        name: 'a',
        scope: { kind: 'user', userId: USER },
        state: 'closed',
        instance: 'i',
      }),
    ]);
    expect(state.connections).toEqual({ a: 'closed', c: 'reconnecting' });
  });

  it('counts malformed events (bad JSON, unknown fields such as a config) without applying them', () => {
    const state = run([
      { type: 'message', id: '1-0', event: 'access.changed', data: '{not json' },
      msg('2-0', { ...access([USER]), config: { url: 'https://secret' } }),
    ]);
    expect(state.malformed).toBe(2);
    expect(state.log).toEqual([]);
    expect(state.serversGeneration).toBe(0);
    expect(state.lastEventId).toBe('2-0');
  });

  it('after a drop and reopen, events older than the reopening are marked replayed', () => {
    const state = run([
      { type: 'opened', at: 1_000 },
      msg('1000-0', access([USER])),
      { type: 'dropped' },
      { type: 'opened', at: 5_000 },
      msg('3000-0', access([USER])),
      msg('6000-0', access([USER])),
    ]);
    expect(state.status).toBe('open');
    expect(state.reconnects).toBe(1);
    expect(state.replayedSinceReconnect).toBe(1);
    expect(state.log.map((entry) => [entry.id, entry.replayed])).toEqual([
      ['6000-0', false],
      ['3000-0', true],
      ['1000-0', false],
    ]);
  });
});

function compareOrder(log: EventState['log']): string[] {
  return log.map((entry) => entry.id);
}
