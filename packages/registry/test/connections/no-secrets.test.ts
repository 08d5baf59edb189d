import { createServer, type AddressInfo, type Server } from 'node:net';
import winston from 'winston';
import Transport from 'winston-transport';
import { createStrata, parseServerConfig, type PublicEvent } from '@strata/registry/internals';

const SECRET = 'sk-live-6f1d2c9e8b7a';

/** A winston transport that keeps every log line as JSON text. */
class MemoryTransport extends Transport {
  readonly lines: string[] = [];
  override log(info: unknown, next: () => void): void {
    this.lines.push(JSON.stringify(info));
    next();
  }
}

describe('secrets never reach logs or statuses', () => {
  let refusing: Server;
  let port: number;

  beforeAll(async () => {
    // Accepts and immediately closes: every connect fails.
    refusing = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    port = (refusing.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((resolve) => refusing.close(resolve));
  });

  it('a failing server with a token in its headers and env leaves no trace of it', async () => {
    const sink = new MemoryTransport();
    const logger = winston.createLogger({ level: 'debug', transports: [sink] });
    const strata = await createStrata({
      logger,
      connections: { env: { API_KEY: SECRET }, connectTimeoutMs: 1_000 },
      appServers: [
        {
          name: 'api',
          config: parseServerConfig({
            type: 'streamable-http',
            url: `http://127.0.0.1:${port}/mcp?key=\${API_KEY}`,
            headers: { Authorization: 'Bearer ${API_KEY}' },
          }),
        },
        {
          name: 'tool',
          config: parseServerConfig({ type: 'stdio', command: '/nonexistent/tool', env: { TOKEN: '${API_KEY}' } }),
        },
      ],
    });
    const events: PublicEvent[] = [];
    strata.subscribe((event) => events.push(event)); // what a browser's live stream would carry
    await strata.start();
    const { registry, connections } = strata;
    const errors: string[] = [];
    for (const name of ['api', 'tool']) {
      await connections.get({ kind: 'app' }, name).catch((error: unknown) => errors.push(String(error)));
    }
    expect(errors).toHaveLength(2);
    const exposed = [
      ...sink.lines,
      ...errors,
      JSON.stringify(connections.status()),
      JSON.stringify(events),
      JSON.stringify(await registry.getServers()),
    ];
    expect(exposed.filter((text) => text.includes(SECRET))).toEqual([]);
    // Stored configs keep the placeholder, never the value.
    expect(JSON.stringify(await registry.getServer('api'))).toContain('${API_KEY}');
    await strata.close();
  });
});
