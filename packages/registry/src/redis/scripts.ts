import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Redis, Result } from 'ioredis';

/** Lua files live in `<package>/lua/`, two levels above this file in `src/` and in `dist/`. */
const LUA_DIR = join(__dirname, '..', '..', 'lua');

/** Every script: file name `verb-N.lua`, N = number of KEYS (`keys: undefined`: the caller passes the count). */
export const SCRIPTS = {
  putServer: { file: 'put-server-2.lua', keys: 2 },
  removeServer: { file: 'remove-server-2.lua', keys: 2 },
  replaceTier: { file: 'replace-tier-1.lua', keys: 1 },
  readTier: { file: 'read-tier-1.lua', keys: 1 },
  acquireLease: { file: 'acquire-lease-1.lua', keys: 1 },
  renewLease: { file: 'renew-lease-1.lua', keys: 1 },
  releaseLease: { file: 'release-lease-1.lua', keys: 1 },
  acquireLoad: { file: 'acquire-load-3.lua', keys: 3 },
  commitLoad: { file: 'commit-load-3.lua', keys: 3 },
  invalidateUsers: { file: 'invalidate-users-2n.lua', keys: undefined },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

type ScriptReply = Array<number | string | null | Array<string | null>>;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    strataPutServer(k1: string, k2: string, ...args: string[]): Result<ScriptReply, Context>;
    strataRemoveServer(k1: string, k2: string, ...args: string[]): Result<ScriptReply, Context>;
    strataReplaceTier(k1: string, ...args: string[]): Result<ScriptReply, Context>;
    strataReadTier(k1: string, ...args: string[]): Result<ScriptReply, Context>;
    strataAcquireLease(k1: string, ...args: string[]): Result<ScriptReply, Context>;
    strataRenewLease(k1: string, ...args: string[]): Result<ScriptReply, Context>;
    strataReleaseLease(k1: string, ...args: string[]): Result<ScriptReply, Context>;
    strataAcquireLoad(k1: string, k2: string, k3: string, ...args: string[]): Result<ScriptReply, Context>;
    strataCommitLoad(k1: string, k2: string, k3: string, ...args: string[]): Result<ScriptReply, Context>;
    strataInvalidateUsers(numberOfKeys: number, ...keysThenArgs: string[]): Result<number, Context>;
  }
}

/** Registers every script on a client once (ioredis `defineCommand`: EVALSHA with EVAL fallback). */
export function registerScripts(client: Redis | Cluster): void {
  // defineCommand adds the methods to the client itself: their presence is the "already done" mark.
  if (typeof (client as Partial<Pick<Redis, 'strataPutServer'>>).strataPutServer === 'function') return;
  for (const [name, script] of Object.entries(SCRIPTS)) {
    const command = `strata${name.charAt(0).toUpperCase()}${name.slice(1)}`;
    const lua = readFileSync(join(LUA_DIR, script.file), 'utf8');
    client.defineCommand(command, script.keys === undefined ? { lua } : { numberOfKeys: script.keys, lua });
  }
}
