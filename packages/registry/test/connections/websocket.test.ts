import type { LookupAddress } from 'node:dns';
import type { AddressResolver } from '@strata/registry/internals';
import { startWebSocketFixture, type WebSocketFixture } from '../fixtures/mcp/websocket-server';
import { useConnectionRig } from './rig';

/**
 * MCP over WebSocket against a real SDK server (`McpServer` on a `ws` server on 127.0.0.1): the
 * transport works on this Node (the SDK's needs a global WebSocket, absent from Node 20), and a
 * user-supplied WebSocket server gets the outbound guard at the socket, not only before it.
 */

/** A DNS answer per call: `[first, second, …]`, the last one repeated. */
function answers(table: Record<string, ReadonlyArray<readonly string[]>>): AddressResolver & { calls: string[] } {
  const calls: string[] = [];
  const resolve = (hostname: string): Promise<readonly LookupAddress[]> => {
    const list = table[hostname];
    if (!list) return Promise.reject(Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    const answer = list[Math.min(calls.filter((name) => name === hostname).length, list.length - 1)] ?? [];
    calls.push(hostname);
    return Promise.resolve(answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  };
  return Object.assign(resolve, { calls });
}

describe('MCP over WebSocket (real SDK server)', () => {
  const rig = useConnectionRig('private', { connectTimeoutMs: 10_000, env: {} });
  const user = { kind: 'user' as const, userId: 'alice' };
  let ws: WebSocketFixture;

  beforeEach(async () => {
    ws = await startWebSocketFixture();
  });
  afterEach(() => ws.close());

  it("an operator's WebSocket server connects and answers a tool call", async () => {
    rig.servers.put('sockets', { type: 'websocket', url: ws.url });
    const connection = await rig.start().get({ kind: 'app' }, 'sockets');
    const reply = await connection.callTool('add', { a: 2, b: 3 });
    expect(reply.structuredContent).toEqual({ sum: 5 });
    expect(ws.opened).toBe(1);
  });

  it("a user's WebSocket server on an allowed address connects, its socket opened through the guard's lookup", async () => {
    const port = new URL(ws.url).port;
    const names = answers({ 'sockets.test': [['127.0.0.1']] });
    rig.servers.put('mine', { type: 'websocket', url: `ws://sockets.test:${port}/mcp` }, { origin: 'user' });
    const connection = await rig.start({ userServers: { resolver: names, allow: ['127.0.0.1'] } }).get(user, 'mine');
    expect((await connection.callTool('add', { a: 1, b: 1 })).structuredContent).toEqual({ sum: 2 });
    expect(names.calls).toEqual(['sockets.test', 'sockets.test']); // the check, then the socket's own lookup
  });

  it('DNS rebinding over WebSocket: public at the check, loopback at the socket → ADDRESS_REFUSED, no socket', async () => {
    const port = new URL(ws.url).port;
    const names = answers({ 'rebind.test': [['93.184.216.34'], ['127.0.0.1']] });
    rig.servers.put('mine', { type: 'websocket', url: `ws://rebind.test:${port}/mcp` }, { origin: 'user' });
    await expect(rig.start({ userServers: { resolver: names } }).get(user, 'mine')).rejects.toMatchObject({
      code: 'ADDRESS_REFUSED',
      address: '127.0.0.1',
    });
    expect(names.calls).toEqual(['rebind.test', 'rebind.test']);
    expect(ws.opened).toBe(0);
  });

  it('a WebSocket server that is gone is a typed CONNECT_FAILED, not a hang', async () => {
    const url = ws.url;
    await ws.close();
    rig.servers.put('gone', { type: 'websocket', url });
    await expect(rig.start().get({ kind: 'app' }, 'gone')).rejects.toMatchObject({ code: 'CONNECT_FAILED' });
  });
});
