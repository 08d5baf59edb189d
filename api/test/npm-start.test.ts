import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mongoose from 'mongoose';
import { REPO_ROOT } from '@strata/api';
import { call } from './support/instances';

/** Live processes whose parent is `pid` (from /proc: no `ps` parsing). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(fields[1]) === pid ? [Number(entry)] : [];
      } catch {
        return [];
      }
    });
}

/** Running (not gone, not a zombie waiting for init to reap it). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

describe('npm start (api/src/server.ts with tsx, as the root script runs it)', () => {
  let child: ChildProcess | undefined;
  let dataDir: string;
  const dbName = `strata_start_${randomBytes(4).toString('hex')}`;
  afterAll(async () => {
    if (child?.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    const db = await mongoose.createConnection(process.env['MONGO_URI']!, { dbName }).asPromise();
    await db.dropDatabase();
    await db.close();
  });

  it('prints its URL, is ready, signs in, calls the shipped MCP server, and exits cleanly on SIGTERM', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'strata-start-'));
    // The harness's MongoDB stands in for the embedded one (MONGO_URI), so dev sign-in and the
    // seed are switched on explicitly, as they are by default when MONGO_URI is unset.
    child = spawn(process.execPath, ['--import', 'tsx', 'api/src/server.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env['PATH'],
        HOME: process.env['HOME'],
        PORT: '0',
        STRATA_DATA_DIR: dataDir,
        MONGO_URI: process.env['MONGO_URI'],
        STRATA_MONGO_DB: dbName,
        STRATA_DEV_LOGIN: '1',
        STRATA_SEED: '1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      child!.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /Strata API listening on (http:\/\/\S+)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child!.once('exit', (code) => reject(new Error(`exited with ${code} before printing its URL: ${stderr}`)));
    });
    expect(stdout).toMatch(/dev-login/);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const ready = await call(`${url}/readyz`);
    expect(ready.status).toBe(200);
    const login = await call(`${url}/api/auth/dev-login`, { method: 'POST', body: { username: 'alice' } });
    expect(login.status).toBe(200);
    expect(login.body.servers.map((s: { name: string }) => s.name)).toEqual(
      expect.arrayContaining(['demo', 'notes', 'team-wiki', 'demo-session']),
    );
    const token = login.body.token as string;
    const a = 1 + Math.floor(Math.random() * 1000);
    const result = await call(`${url}/api/servers/demo/tools/add/call`, {
      method: 'POST',
      token,
      body: { arguments: { a, b: 7 } },
    });
    expect(result.status).toBe(200);
    expect(result.body.result.content[0].text).toBe(String(a + 7));
    const echo = await call(`${url}/api/sessions/chat-1/servers/demo-session/tools/echo/call`, {
      method: 'POST',
      token,
      body: { arguments: { text: 'per session' } },
    });
    expect(echo.status).toBe(200);
    expect(echo.body.result.content[0].text).toBe('per session');

    const mcpChildren = childrenOf(child.pid!).filter((pid) => cmdline(pid).includes('demo-server.ts'));
    expect(mcpChildren).toHaveLength(2); // the user's connection and the chat session's
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/strata: stopped/);
    expect(mcpChildren.filter(running)).toEqual([]);
  }, 90_000);
});
