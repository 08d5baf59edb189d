import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback load balancer for the browser tests: forwards every request (event streams included,
 * unbuffered) to the first upstream that accepts the connection, like a balancer failing over when
 * an instance stops. `setUpstreams([])` answers 502 (no healthy instance) until upstreams return.
 */
export interface Balancer {
  readonly url: string;
  setUpstreams(urls: readonly string[]): void;
  close(): Promise<void>;
}

export async function startBalancer(initial: readonly string[]): Promise<Balancer> {
  let upstreams = [...initial];
  const open = new Set<ServerResponse>();

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, index: number) => {
    const target = upstreams[index];
    if (!target) {
      res.writeHead(502, { 'content-type': 'text/plain' }).end('no upstream');
      return;
    }
    const url = new URL(req.url ?? '/', target);
    const upstream = request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.once('error', (error: NodeJS.ErrnoException) => {
      if (!res.headersSent && error.code === 'ECONNREFUSED') forward(req, res, body, index + 1);
      else res.destroy();
    });
    res.once('close', () => upstream.destroy());
    upstream.end(body);
  };

  const server: Server = createServer((req, res) => {
    open.add(res);
    res.once('close', () => open.delete(res));
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => forward(req, res, Buffer.concat(chunks), 0));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    setUpstreams(urls) {
      upstreams = [...urls];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
