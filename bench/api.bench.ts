import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import express from 'express';
import { createTokenSigner, startApi, type RunningApi } from '../api/src/index';
import { startMongo } from '../packages/test-harness/src/mongo';
import { startRedisTarget } from './lib/redis-target';
import { summarize, type Percentiles } from './lib/percentiles';
import { formatTable } from './lib/table';

/** Keep-alive clients per throughput run, and how long each run lasts. */
const CLIENTS = Number(process.env['BENCH_API_CLIENTS'] ?? 32);
const DURATION_MS = Number(process.env['BENCH_API_DURATION_MS'] ?? 3_000);
/** Warm users whose `GET /api/servers` is measured. */
const WARM_USERS = 50;
/** Sign-in storm: this many concurrent sign-ins of `STORM_USERS` new users across the instances. */
const STORM_SIGNINS = 1_000;
const STORM_USERS = 100;
/** Open event streams across the three instances for the fan-out. */
const STREAMS = Number(process.env['BENCH_API_STREAMS'] ?? 1_000);
const SECRET = randomBytes(32).toString('hex');
const sign = createTokenSigner(SECRET);

interface Throughput {
  readonly requests: number;
  readonly reqPerSec: number;
  readonly latencyMs: Percentiles;
  readonly errors: number;
}

/** `CLIENTS` keep-alive clients, each sending its next request when the previous answered, for `DURATION_MS`. */
async function hammer(targets: ReadonlyArray<{ url: URL; headers: Record<string, string> }>): Promise<Throughput> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + DURATION_MS;
  const client = async (index: number) => {
    let n = index;
    while (performance.now() < end) {
      const target = targets[n++ % targets.length]!;
      const started = performance.now();
      const status = await request(target.url, target.headers, agent);
      latencies.push(performance.now() - started);
      if (status !== 200) errors += 1;
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
  const elapsed = performance.now() - began;
  agent.destroy();
  return {
    requests: latencies.length,
    reqPerSec: (latencies.length / elapsed) * 1_000,
    latencyMs: summarize(latencies),
    errors,
  };
}

function request(
  url: URL,
  headers: Record<string, string>,
  agent: http.Agent,
  method = 'GET',
  body?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent, timeout: 30_000 }, (res: IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

async function helloServer(): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.get('/hello', (_req, res) => void res.json({ hello: 'world' }));
  const server = await new Promise<http.Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Opens an event stream; resolves `arrival(match)` with the time the first matching event's bytes arrived. */
function openStream(url: string, token: string, agent: http.Agent) {
  let buffer = '';
  const waiters: Array<{ match: string; resolve: (at: number) => void }> = [];
  let req: http.ClientRequest | undefined;
  const opened = new Promise<void>((resolve, reject) => {
    req = http.get(`${url}/api/events`, { headers: { authorization: `Bearer ${token}` }, agent }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        if (buffer.startsWith('retry:')) resolve();
        for (const waiter of [...waiters]) {
          if (buffer.includes(waiter.match)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(at);
          }
        }
        if (buffer.length > 1 << 16) buffer = buffer.slice(-4096);
      });
    });
    req.on('error', reject);
  });
  return {
    opened,
    arrival: (match: string) => new Promise<number>((resolve) => waiters.push({ match, resolve })),
    close: () => req?.destroy(),
  };
}

export async function run(): Promise<void> {
  progress('starting MongoDB and Redis');
  const ownWrite = Object.getOwnPropertyDescriptor(process.stdout, 'write');
  process.stdout.write = process.stderr.write.bind(process.stderr); // the harness reports its fallback on stdout
  const mongo = await startMongo().finally(() => {
    if (ownWrite) Object.defineProperty(process.stdout, 'write', ownWrite);
    else Reflect.deleteProperty(process.stdout, 'write');
  });
  const redis = await startRedisTarget();
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-api-'));
  const apis: RunningApi[] = [];
  const hello = await helloServer();
  try {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      NODE_ENV: 'production',
      PORT: '0',
      REDIS_URI: redis.url,
      STRATA_KEY_PREFIX: redis.newKeyPrefix(),
      MONGO_URI: mongo.uri,
      STRATA_MONGO_DB: `strata_bench_api_${randomBytes(4).toString('hex')}`,
      STRATA_DATA_DIR: dataDir,
      STRATA_JWT_SECRET: SECRET,
      LOG_LEVEL: 'error',
    };
    for (let index = 0; index < 3; index += 1) apis.push(await startApi(env));
    const urls = apis.map((api) => api.url);
    progress(`three instances: ${urls.join(', ')} (MongoDB: ${mongo.name})`);
    const admin = await sign({ id: 'bench-admin', role: 'admin' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const post = async (url: string, token: string, body: unknown) =>
      request(
        new URL(url),
        { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        agent,
        'POST',
        JSON.stringify(body),
      );

    // Every warm user holds two private servers; the app tier has the config file's three.
    const warm = await Promise.all(
      Array.from({ length: WARM_USERS }, (_, i) => sign({ id: `warm-${i}`, role: 'user' })),
    );
    for (let i = 0; i < 2; i += 1) {
      const status = await post(`${urls[0]!}/api/admin/servers`, admin, {
        name: `bench-${i}`,
        config: { type: 'sse', url: `https://bench-${i}.example/sse` },
        access: { userIds: Array.from({ length: WARM_USERS }, (_, u) => `warm-${u}`) },
      });
      if (status !== 201) throw new Error(`creating bench-${i} answered ${status}`);
    }
    await Promise.all(warm.map((token, i) => post(`${urls[i % 3]!}/api/auth/login`, token, {})));

    progress(`GET /api/servers, ${CLIENTS} keep-alive clients, ${DURATION_MS} ms`);
    const servers = await hammer(
      warm.map((token, i) => ({
        url: new URL(`${urls[i % 3]!}/api/servers`),
        headers: { authorization: `Bearer ${token}` },
      })),
    );
    progress(`Express hello, same clients`);
    const ceiling = await hammer([{ url: new URL(`${hello.url}/hello`), headers: {} }]);

    progress(`sign-in storm: ${STORM_SIGNINS} sign-ins of ${STORM_USERS} users`);
    const loadsBefore = apis.reduce((sum, api) => sum + api.strata.stats().privateTier.loaderCalls, 0);
    const stormTokens = await Promise.all(
      Array.from({ length: STORM_USERS }, (_, i) => sign({ id: `storm-${i}`, role: 'user' })),
    );
    const stormLatency: number[] = [];
    const stormStatuses = await Promise.all(
      Array.from({ length: STORM_SIGNINS }, async (_, i) => {
        const started = performance.now();
        const status = await post(`${urls[i % 3]!}/api/auth/login`, stormTokens[i % STORM_USERS]!, {});
        stormLatency.push(performance.now() - started);
        return status;
      }),
    );
    const loaderCalls = apis.reduce((sum, api) => sum + api.strata.stats().privateTier.loaderCalls, 0) - loadsBefore;
    const storm = { latencyMs: summarize(stormLatency), errors: stormStatuses.filter((s) => s !== 200).length };

    progress(`event fan-out: ${STREAMS} open streams`);
    const streamAgent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const fanToken = await sign({ id: 'fan', role: 'user' });
    const streams = Array.from({ length: STREAMS }, (_, i) => openStream(urls[i % 3]!, fanToken, streamAgent));
    await Promise.all(streams.map((stream) => stream.opened));
    const marker = `fanout-${randomBytes(3).toString('hex')}`;
    const arrivals = streams.map((stream) => stream.arrival(`"name":"${marker}"`));
    const sent = performance.now();
    const created = await post(`${urls[0]!}/api/admin/servers`, admin, {
      name: marker,
      config: { type: 'sse', url: 'https://fan.example/sse' },
      access: { everyone: true },
    });
    if (created !== 201) throw new Error(`fan-out change answered ${created}`);
    const delivered = (await Promise.all(arrivals)).map((at) => at - sent);
    streams.forEach((stream) => stream.close());
    streamAgent.destroy();
    agent.destroy();
    const fanout = summarize(delivered);

    const f = (n: number) => n.toFixed(1);
    console.log(
      formatTable(
        ['measure', 'req/s', 'p50 ms', 'p99 ms', 'errors'],
        [
          [
            'GET /api/servers (3 instances, warm users)',
            f(servers.reqPerSec),
            f(servers.latencyMs.p50),
            f(servers.latencyMs.p99),
            String(servers.errors),
          ],
          [
            'Express hello (ceiling, same process)',
            f(ceiling.reqPerSec),
            f(ceiling.latencyMs.p50),
            f(ceiling.latencyMs.p99),
            String(ceiling.errors),
          ],
          [
            `sign-in storm (${STORM_SIGNINS} of ${STORM_USERS} users)`,
            '',
            f(storm.latencyMs.p50),
            f(storm.latencyMs.p99),
            String(storm.errors),
          ],
          [`event fan-out (${STREAMS} streams, shared-tier change)`, '', f(fanout.p50), f(fanout.p99), ''],
        ],
      ),
    );
    console.log(`loader calls in the storm: ${loaderCalls} (users: ${STORM_USERS})`);
    console.log('(one process on this machine: clients, three API instances and the hello server share its CPUs)');
    console.log(
      JSON.stringify({
        bench: 'api',
        serversReqPerSec: Math.round(servers.reqPerSec),
        serversP50Ms: Number(servers.latencyMs.p50.toFixed(2)),
        serversP99Ms: Number(servers.latencyMs.p99.toFixed(2)),
        helloReqPerSec: Math.round(ceiling.reqPerSec),
        ratioToHello: Number((servers.reqPerSec / ceiling.reqPerSec).toFixed(2)),
        signInP99Ms: Number(storm.latencyMs.p99.toFixed(1)),
        signInLoaderCalls: loaderCalls,
        fanoutStreams: STREAMS,
        fanoutP50Ms: Number(fanout.p50.toFixed(1)),
        fanoutP99Ms: Number(fanout.p99.toFixed(1)),
      }),
    );
  } finally {
    await Promise.all(apis.map((api) => api.close()));
    await hello.close();
    await redis.close();
    await mongo.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function progress(message: string): void {
  process.stderr.write(`[api] ${message}\n`);
}
