import { type McpConnection } from '@strata/registry/internals';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { startHttpFixture } from '../fixtures/mcp/http-server';
import type { WhoAmI } from '../fixtures/mcp/fixture-server';
import { stdioFixtureParams } from '../fixtures/mcp/stdio-command';
import { useConnectionRig } from './rig';

/**
 * `initTimeout`, `timeout` and `tools.allow` / `tools.deny` are enforced by the connection layer,
 * each against a real MCP server that would exceed it. No test sleeps: each waits for the typed
 * error. The manager-wide deadline (`connectTimeoutMs`) and the SDK's default request timeout
 * (60 s) are far above Jest's timeout for these tests, so only the per-server limit can end them.
 */
jest.setTimeout(20_000);

async function calls(connection: McpConnection): Promise<number> {
  const reply = await connection.callTool('whoami');
  return (reply.structuredContent as WhoAmI).calls;
}

describe('per-server limits are enforced (real MCP servers)', () => {
  const rig = useConnectionRig('app', { connectTimeoutMs: 120_000, env: {} });

  it('initTimeout bounds connecting to an HTTP server whose initialize never answers (TIMEOUT)', async () => {
    const stalling = await startHttpFixture({ stallInitialize: true });
    try {
      // A refused or reset connection would be CONNECT_FAILED: TIMEOUT means the deadline ended it.
      rig.servers.put('stuck', { type: 'streamable-http', url: stalling.url, initTimeout: 1_000 });
      await expect(rig.start().get({ kind: 'app' }, 'stuck')).rejects.toMatchObject({ code: 'TIMEOUT' });
    } finally {
      await stalling.close();
    }
  });

  it('initTimeout bounds connecting to a stdio server that never answers initialize (TIMEOUT)', async () => {
    rig.servers.put('stuck', {
      type: 'stdio',
      ...stdioFixtureParams(),
      env: { FIXTURE_STALL_INITIALIZE: '1' },
      initTimeout: 500,
    });
    await expect(rig.start().get({ kind: 'app' }, 'stuck')).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it.each(['stdio', 'streamable-http'] as const)(
    'timeout bounds a %s tool call that never finishes (TIMEOUT); the connection stays usable',
    async (type) => {
      const transport = type === 'stdio' ? stdioFixtureParams() : { url: rig.fixture.url };
      rig.servers.put('slow', { type, ...transport, timeout: 300 });
      const connection = await rig.start().get({ kind: 'app' }, 'slow');
      await expect(connection.callTool('sleep')).rejects.toMatchObject({ code: 'TIMEOUT' });
      // Also through the raw SDK client: the bound is applied where every request passes.
      await expect(connection.client.callTool({ name: 'sleep', arguments: {} })).rejects.toMatchObject({
        code: 'TIMEOUT',
      });
      await expect(calls(connection)).resolves.toBe(3);
    },
  );

  it('a shorter per-call timeout still wins over the configured one', async () => {
    rig.servers.put('slow', { type: 'streamable-http', url: rig.fixture.url, timeout: 60_000 });
    const connection = await rig.start().get({ kind: 'app' }, 'slow');
    await expect(connection.callTool('sleep', {}, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
  });

  it('rig.tools.deny: the listing omits the tool and a call is refused before it reaches the server', async () => {
    rig.servers.put('web', { type: 'streamable-http', url: rig.fixture.url, tools: { deny: ['echo', 'sleep'] } });
    const connection = await rig.start().get({ kind: 'app' }, 'web');
    const listed = (await connection.listTools(5_000)).map((tool) => tool.name);
    expect(listed).toEqual(expect.arrayContaining(['add', 'whoami', 'identity']));
    expect(listed).not.toContain('echo');
    expect((await rig.tools.get('web'))?.tools?.map((tool) => tool.name)).not.toContain('echo');

    await expect(connection.callTool('echo', { text: 'hi' })).rejects.toMatchObject({
      code: 'TOOL_DENIED',
      tool: 'echo',
    });
    // Every way of sending a request goes through the same check.
    await expect(connection.client.callTool({ name: 'echo', arguments: { text: 'hi' } })).rejects.toMatchObject({
      code: 'TOOL_DENIED',
    });
    await expect(
      connection.client.request(
        { method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } },
        CallToolResultSchema,
      ),
    ).rejects.toMatchObject({ code: 'TOOL_DENIED' });
    // The server counts every tool call it served: this whoami is the first it ever saw.
    await expect(calls(connection)).resolves.toBe(1);
  });

  it('rig.tools.allow: only the listed tools are listed and callable', async () => {
    rig.servers.put('local', { type: 'stdio', ...stdioFixtureParams(), tools: { allow: ['whoami', 'add'] } });
    const connection = await rig.start().get({ kind: 'app' }, 'local');
    expect((await connection.listTools(5_000)).map((tool) => tool.name).sort()).toEqual(['add', 'whoami']);
    await expect(connection.callTool('fixture_crash', { when: 'immediately' })).rejects.toMatchObject({
      code: 'TOOL_DENIED',
    });
    await expect(connection.callTool('add', { a: 2, b: 3 })).resolves.toMatchObject({ structuredContent: { sum: 5 } });
    await expect(calls(connection)).resolves.toBe(2); // add, whoami: the crash never reached the child
  });
});
