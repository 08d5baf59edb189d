import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createRedisClient, deleteKeysContaining, describeEachRedis } from '@strata/test-harness';

// The README's quick start is examples/quick-start.ts, run here as a user runs it: a plain node
// process. It must print the expected sets and exit by itself — an exit proves `close()` left no
// socket, timer or listener running (a leak keeps the process alive until the test times out).
const EXAMPLE = join(__dirname, '..', '..', '..', '..', 'examples', 'quick-start.ts');
const EXPECTED = [
  'alice: browser, filesystem, notes, search',
  'bob: browser, filesystem, search',
  'bob after promote: browser, filesystem, notes, search',
  'notes is now shared',
  'events: access.changed, server.changed, tier.replaced, user.loaded',
];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly pid: number | undefined;
}

function runExample(env: Record<string, string>): Promise<Run> {
  const base = { ...process.env };
  delete base['REDIS_URI'];
  delete base['REDIS_CLUSTER_NODES'];
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', EXAMPLE], {
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr, pid: child.pid })));
}

function expectQuickStart(run: Run): void {
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const lines = run.stdout.trim().split('\n');
  expect(lines.slice(0, EXPECTED.length)).toEqual(EXPECTED);
  expect(lines[EXPECTED.length]).toMatch(/^loads: 2, bus events: \d+$/);
}

describe('examples/quick-start.ts', () => {
  it('runs in memory and exits by itself', async () => {
    expectQuickStart(await runExample({}));
  });
});

describeEachRedis('examples/quick-start.ts', (redis) => {
  it('runs on this topology and exits by itself', async () => {
    const env: Record<string, string> =
      redis.topology.kind === 'standalone'
        ? { REDIS_URI: redis.topology.url }
        : { REDIS_CLUSTER_NODES: redis.topology.nodes.map((node) => `${node.host}:${node.port}`).join(',') };
    const run = await runExample(env);
    const client = createRedisClient(redis.topology);
    try {
      await deleteKeysContaining(client, `example${String(run.pid)}`);
    } finally {
      client.disconnect();
    }
    expectQuickStart(run);
  });
});
