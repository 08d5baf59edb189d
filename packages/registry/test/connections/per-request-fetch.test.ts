import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { perRequestFetch } from '../../src/connections/per-request-fetch';

describe('perRequestFetch', () => {
  let server: Server;
  let url: string;
  let hold: (() => void) | undefined;

  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/stream') {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write('data: first\n\n');
        hold = () => response.end('data: last\n\n');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('leaves no abort listener on the shared signal once each response is read', async () => {
    const shared = new AbortController();
    const fetchOnce = perRequestFetch();
    for (let i = 0; i < 200; i += 1) {
      const response = await fetchOnce(`${url}/json`, { signal: shared.signal });
      await expect(response.json()).resolves.toEqual({ ok: true });
    }
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(0);
  });

  it('keeps a stream linked until it ends, so aborting the shared signal still stops it', async () => {
    const shared = new AbortController();
    const response = await perRequestFetch()(`${url}/stream`, { signal: shared.signal });
    const reader = response.body!.getReader();
    await reader.read(); // first event
    expect(getEventListeners(shared.signal, 'abort')).toHaveLength(1);
    shared.abort(new Error('connection closed'));
    await expect(reader.read()).rejects.toThrow();
    hold?.();
  });
});
