import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import { REPO_ROOT } from '@strata/api';

const run = promisify(execFile);

describe("npm run strata (the CLI) on the server's storage", () => {
  const dbName = `strata_cli_${randomBytes(4).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'strata-cli-'));
  const env = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    MONGO_URI: process.env['MONGO_URI'],
    STRATA_MONGO_DB: dbName,
    STRATA_DATA_DIR: dir,
    STRATA_KEY_PREFIX: `cli${randomBytes(3).toString('hex')}`,
  };
  const cli = async (...args: string[]) => {
    try {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', 'api/src/cli.ts', ...args], {
        cwd: REPO_ROOT,
        env,
        timeout: 60_000,
      });
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  };
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    const db = await mongoose.createConnection(process.env['MONGO_URI']!, { dbName }).asPromise();
    await db.dropDatabase();
    await db.close();
  });

  it('imports a Claude Desktop file (app-tier names refused), grants, promotes, and lists what the database holds', async () => {
    const file = join(dir, 'claude_desktop_config.json');
    writeFileSync(
      file,
      JSON.stringify({
        mcpServers: { 'cli-one': { url: 'https://one.example/mcp' }, search: { url: 'https://s.example/mcp' } },
      }),
    );
    const imported = await cli('import', file, '--users', 'alice');
    expect(imported.code).toBe(1); // one entry refused
    expect(imported.stdout).toMatch(/created\tcli-one/);
    expect(imported.stdout).toMatch(/refused\tsearch\tNAME_RESERVED/);
    expect((await cli('grant', 'cli-one', 'bob')).code).toBe(0);
    expect((await cli('list')).stdout).toMatch(/^cli-one\tprivate\tv\d+\tuser:alice:1 user:bob:1$/m);
    expect((await cli('promote', 'cli-one')).code).toBe(0);
    expect((await cli('list')).stdout).toMatch(/^cli-one\tshared\t/m);
    const db = await mongoose.createConnection(process.env['MONGO_URI']!, { dbName }).asPromise();
    try {
      expect(await db.collection('mcpservers').countDocuments({ name: 'search' })).toBe(0);
      expect(
        await db
          .collection('aclentries')
          .countDocuments({ resource: 'cli-one', principalType: 'public', bits: { $gt: 0 } }),
      ).toBe(1);
    } finally {
      await db.close();
    }
    expect((await cli('bogus')).code).toBe(2);
  }, 120_000);
});
