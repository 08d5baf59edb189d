/**
 * The MCP fixtures are real servers: driven here by the SDK's own `Client` over stdio (a child process
 * per session) and streamable HTTP (one in-process listener, a session per client).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startHttpFixture } from '../fixtures/mcp/http-server';
import type { HttpFixture } from '../fixtures/mcp/http-server';
import type { WhoAmI } from '../fixtures/mcp/fixture-server';
import { stdioFixtureParams } from '../fixtures/mcp/stdio-command';

const TIMEOUT = { timeout: 5000 };

function newClient(): Client {
  return new Client({ name: 'fixture-test', version: '1.0.0' });
}

/** Rejects after `ms`; the timer is cleared either way. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The next `notifications/tools/list_changed` the client receives (register before triggering it). */
function nextToolListChanged(client: Client): Promise<void> {
  return within(
    new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve())),
    5000,
    'tools/list_changed',
  );
}

/** Resolves when the client's transport closes (server gone or client closed). */
function closed(client: Client): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      client.onclose = resolve;
    }),
    5000,
    'client close',
  );
}

async function toolNames(client: Client): Promise<string[]> {
  const { tools } = await client.listTools(undefined, TIMEOUT);
  return tools.map((tool) => tool.name);
}

async function callText(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  const result = await client.callTool({ name, arguments: args }, undefined, TIMEOUT);
  const first = Array.isArray(result.content) ? (result.content[0] as unknown) : undefined;
  if (typeof first !== 'object' || first === null || !('text' in first) || typeof first.text !== 'string') {
    throw new Error(`${name} returned no text: ${JSON.stringify(result)}`);
  }
  return first.text;
}

async function whoami(client: Client): Promise<WhoAmI> {
  return JSON.parse(await callText(client, 'whoami')) as WhoAmI;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('stdio fixture', () => {
  const clients: Client[] = [];

  /** Spawns the fixture and connects; returns the child's pid and the first stderr line. */
  async function spawn(): Promise<{ client: Client; pid: number; stderr: Promise<string> }> {
    const transport = new StdioClientTransport({ ...stdioFixtureParams(), stderr: 'pipe' });
    const stderr = new Promise<string>((resolve) => {
      let text = '';
      transport.stderr?.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
      });
    });
    const client = newClient();
    clients.push(client);
    await client.connect(transport, TIMEOUT);
    if (transport.pid === null) throw new Error('no child process');
    return { client, pid: transport.pid, stderr: within(stderr, 5000, 'started line') };
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  it('serves the fixture tools and announces a tool added at runtime', async () => {
    const { client, pid, stderr } = await spawn();
    expect(await stderr).toBe(`started pid=${pid}`);
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
    expect(await toolNames(client)).toEqual(expect.arrayContaining(['echo', 'add', 'whoami', 'fixture_add_tool']));
    expect(await callText(client, 'echo', { text: 'hello' })).toBe('hello');
    const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }, undefined, TIMEOUT);
    expect(sum.structuredContent).toEqual({ sum: 5 });

    const changed = nextToolListChanged(client);
    await callText(client, 'fixture_add_tool', { name: 'late' });
    await changed;
    expect(await toolNames(client)).toContain('late');
    expect(await callText(client, 'late')).toBe('late');
  });

  it('is one session per process: whoami is the pid, counters are not shared', async () => {
    const [a, b] = await Promise.all([spawn(), spawn()]);
    expect(a.pid).not.toBe(b.pid);
    expect(await whoami(a.client)).toEqual({ instanceId: String(a.pid), sessionId: null, calls: 1 });
    expect(await whoami(a.client)).toMatchObject({ calls: 2 });
    expect(await whoami(b.client)).toEqual({ instanceId: String(b.pid), sessionId: null, calls: 1 });
  });

  it('closing the client ends the child process', async () => {
    const { client, pid } = await spawn();
    expect(processAlive(pid)).toBe(true);
    await client.close(); // resolves once the child has exited (or was killed)
    expect(processAlive(pid)).toBe(false);
  });

  it('fixture_crash ends the process after replying, or without a reply', async () => {
    const polite = await spawn();
    const politeGone = closed(polite.client);
    expect(await callText(polite.client, 'fixture_crash')).toBe('crashing');
    await politeGone;
    expect(processAlive(polite.pid)).toBe(false);
    await expect(callText(polite.client, 'echo', { text: 'x' })).rejects.toThrow(/Not connected/);

    const abrupt = await spawn();
    const abruptGone = closed(abrupt.client);
    await expect(callText(abrupt.client, 'fixture_crash', { when: 'immediately' })).rejects.toThrow(
      /Connection closed/,
    );
    await abruptGone;
    expect(processAlive(abrupt.pid)).toBe(false);
  });
});

describe('HTTP fixture', () => {
  let fixture: HttpFixture;
  const clients: Client[] = [];

  async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
    const transport = new StreamableHTTPClientTransport(new URL(fixture.url));
    const client = newClient();
    clients.push(client);
    await client.connect(transport, TIMEOUT);
    return { client, transport };
  }

  beforeEach(async () => {
    fixture = await startHttpFixture();
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await fixture.close();
  });

  it('gives each client its own session and per-session state', async () => {
    const a = await connect();
    const b = await connect();
    expect(fixture.sessions).toMatchObject({ opened: 2, active: 2, closed: 0 });
    expect(a.transport.sessionId).toBeDefined();
    expect(a.transport.sessionId).not.toBe(b.transport.sessionId);

    expect(await whoami(a.client)).toEqual({
      instanceId: fixture.instanceId,
      sessionId: a.transport.sessionId,
      calls: 1,
    });
    expect(await whoami(a.client)).toMatchObject({ calls: 2 });
    expect(await whoami(b.client)).toEqual({
      instanceId: fixture.instanceId,
      sessionId: b.transport.sessionId,
      calls: 1,
    });
    expect(await callText(b.client, 'echo', { text: 'hi' })).toBe('hi');
  });

  it('addTool notifies every connected session', async () => {
    const a = await connect();
    const b = await connect();
    await fixture.waitForListeners(2);
    const changed = [nextToolListChanged(a.client), nextToolListChanged(b.client)];
    fixture.addTool('late');
    await Promise.all(changed);
    expect(await toolNames(a.client)).toContain('late');
    expect(await toolNames(b.client)).toContain('late');
    expect(await callText(b.client, 'late')).toBe('late');

    const removed = nextToolListChanged(a.client);
    fixture.removeTool('late');
    await removed;
    expect(await toolNames(a.client)).not.toContain('late');
  });

  it('terminating a client session closes it on the server', async () => {
    const a = await connect();
    await connect();
    await a.transport.terminateSession();
    await a.client.close();
    expect(fixture.sessions).toMatchObject({ opened: 2, closed: 1, terminated: 1, active: 1 });
  });

  it('crash makes calls fail; after restart a new client connects to a new instance', async () => {
    const a = await connect();
    const before = { instanceId: fixture.instanceId, url: fixture.url };
    await fixture.crash();
    expect(fixture.sessions).toMatchObject({ active: 0, closed: 1, terminated: 0 });
    await expect(callText(a.client, 'echo', { text: 'x' })).rejects.toThrow();

    await fixture.restart();
    await expect(callText(a.client, 'echo', { text: 'x' })).rejects.toThrow(/Session not found/);
    const c = await connect();
    expect(await whoami(c.client)).toMatchObject({ calls: 1, sessionId: c.transport.sessionId });
    expect(fixture.instanceId).not.toBe(before.instanceId);
    expect(fixture.url).toBe(before.url);
    expect(fixture.sessions).toMatchObject({ opened: 2, active: 1 });
  });
});
