// After `close()` nothing may be left running: no timer, socket, child process or listener. The
// proof is a plain node process (test/fixtures/exit/strata-process.ts) that builds the whole stack
// on Redis, uses it — login, reads, share and unshare, a tool call over stdio and one over
// streamable HTTP — closes it, and must then exit by itself within 2 s of printing `closed` (the
// bound of issue 11; it never calls process.exit). One run closes while an HTTP tool call is in
// flight on a resumable server, the case in which the SDK client schedules stream resumptions.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describeEachRedis } from '@strata/test-harness';
import { startHttpFixture, type HttpFixture } from '../fixtures/mcp/http-server';
import { REPO_ROOT } from '../fixtures/mcp/stdio-command';
import { startResumableHttpServer, type ResumableHttpServer } from '../fixtures/mcp/resumable-http-server';
import { connectionFor } from '../helpers';

const SCRIPT = join(__dirname, '..', 'fixtures', 'exit', 'strata-process.ts');
/** The bound from the `closed` line to the process's exit. */
const EXIT_BOUND_MS = 2_000;
/**
 * Past this the test stops waiting and kills the child. Generous: on a loaded machine the child's
 * start (tsx, two MCP servers, Redis) takes seconds; only the exit after `closed` is bounded.
 */
const GIVE_UP_MS = 50_000;
const TEST_TIMEOUT_MS = GIVE_UP_MS + 10_000;

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From the `closed` line to the exit event; undefined when `closed` never came. */
  readonly exitAfterCloseMs: number | undefined;
}

function runStrataProcess(env: Record<string, string>): Promise<Run> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let closedAt: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (closedAt === undefined && /^closed$/m.test(stdout)) closedAt = performance.now();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const giveUp = setTimeout(() => child.kill('SIGKILL'), GIVE_UP_MS);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      const exitedAt = performance.now();
      clearTimeout(giveUp);
      // 'close' follows once the pipes are drained: the output is complete then.
      child.once('close', () =>
        resolve({
          code,
          signal,
          stdout,
          stderr,
          exitAfterCloseMs: closedAt === undefined ? undefined : exitedAt - closedAt,
        }),
      );
    });
  });
}

describeEachRedis('a process using Strata', (redis) => {
  let http: HttpFixture;
  let resumable: ResumableHttpServer;

  beforeEach(async () => {
    http = await startHttpFixture();
    resumable = await startResumableHttpServer();
  });

  afterEach(async () => {
    await http.close();
    await resumable.close();
  }); // the harness deletes the run's keys (they all carry redis.keyPrefix)

  function env(inFlight: boolean): Record<string, string> {
    return {
      STRATA_REDIS: JSON.stringify(connectionFor(redis.topology)),
      STRATA_KEY_PREFIX: redis.keyPrefix,
      STRATA_HTTP_URL: http.url,
      STRATA_RESUMABLE_URL: resumable.url,
      STRATA_IN_FLIGHT: inFlight ? '1' : '0',
    };
  }

  function expectUsedAndExited(run: Run): void {
    const exitMs = run.exitAfterCloseMs === undefined ? 'never closed' : `${Math.round(run.exitAfterCloseMs)} ms`;
    // The figure and what kept the process alive (the child's own report), in one failure message.
    const seen = { exitAfterClose: exitMs, stderr: run.stderr, signal: run.signal, stdoutTail: run.stdout.slice(-300) };
    expect(seen).toEqual({ ...seen, stderr: '', signal: null });
    expect(run.exitAfterCloseMs).toBeLessThanOrEqual(EXIT_BOUND_MS);
    expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'alice: files, slow, web',
        'bob: files, web',
        'bob after unshare: files',
        'stdio: [{"type":"text","text":"over stdio"}]',
        'http: calls=1',
      ]),
    );
    expect(lines.at(-1)).toBe('closed');
  }

  it(
    'exits by itself within 2 s of close(), and close() ended the HTTP session',
    async () => {
      const run = await runStrataProcess(env(false));
      expectUsedAndExited(run);
      expect(http.sessions.terminated).toBe(1);
      expect(http.sessions.active).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'exits by itself within 2 s of a close() made while an HTTP tool call is in flight',
    async () => {
      const run = await runStrataProcess(env(true));
      expectUsedAndExited(run);
      const lines = run.stdout.trim().split('\n');
      expect(lines).toContain('in flight');
      // The call did not answer: close() ended it (the SDK rejects it as the connection closes).
      expect(lines.find((line) => line.startsWith('in-flight call'))).toMatch(/^in-flight call failed: /);
      // The session was still terminated on the server (DELETE), not merely dropped.
      expect(resumable.terminated).toBe(1);
      expect(http.sessions.terminated).toBe(1);
    },
    TEST_TIMEOUT_MS,
  );
});
