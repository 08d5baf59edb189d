import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import type { ScriptReply } from './script-replies';

/** Lua files live in `<package>/lua/`, two levels above this file in `src/` and in `dist/`. */
const LUA_DIR = join(__dirname, '..', '..', 'lua');

/**
 * Every script: file `verb-N.lua` (N = number of KEYS; `keys: undefined` when the caller passes
 * the count), and the version of its KEYS/ARGV/reply contract, bumped with any change to it (the
 * callers' side of the contract). Redis knows a script by its SHA1 (`runLua`), so a changed source
 * is a different script there, never a silent reinterpretation of an old one.
 */
export const SCRIPTS = {
  putServer: { file: 'put-server-2.lua', keys: 2, version: 1 },
  removeServer: { file: 'remove-server-2.lua', keys: 2, version: 1 },
  replaceTier: { file: 'replace-tier-1.lua', keys: 1, version: 2 },
  readTier: { file: 'read-tier-1.lua', keys: 1, version: 2 },
  acquireLease: { file: 'acquire-lease-1.lua', keys: 1, version: 1 },
  renewLease: { file: 'renew-lease-1.lua', keys: 1, version: 1 },
  releaseLease: { file: 'release-lease-1.lua', keys: 1, version: 1 },
  acquireLoad: { file: 'acquire-load-3.lua', keys: 3, version: 1 },
  commitLoad: { file: 'commit-load-3.lua', keys: 3, version: 2 },
  invalidateUsers: { file: 'invalidate-users-2n.lua', keys: undefined, version: 2 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** A Lua script and its SHA1, as EVALSHA names it. */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

/** A script from its source (the SHA1 is computed once, here). */
export function luaScript(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

const loaded = new Map<ScriptName, LuaScript>();

function scriptOf(name: ScriptName): LuaScript {
  let script = loaded.get(name);
  if (!script) {
    script = luaScript(readFileSync(join(LUA_DIR, SCRIPTS[name].file), 'utf8'));
    loaded.set(name, script);
  }
  return script;
}

/**
 * Runs a script on the node owning its first key: EVALSHA, then EVAL when that node answers
 * NOSCRIPT (a restarted or new node has an empty script cache). Plain EVALSHA/EVAL rather than
 * ioredis `defineCommand`: a command defined on a client while an auto-pipeline is pending is
 * missing from that pipeline, which then crashes the process (`results[i] is not iterable`,
 * docs/decisions.md); EVALSHA and EVAL exist on every client and pipeline from the start.
 */
export async function runLua(
  client: Redis | Cluster,
  script: LuaScript,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  try {
    return await client.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(script.lua, keys.length, ...keys, ...args);
  }
}

/** Runs one of the registry's scripts: `keys` then `args`. */
export async function runScript(
  client: Redis | Cluster,
  name: ScriptName,
  keys: readonly string[],
  args: readonly string[],
): Promise<ScriptReply> {
  const expected = SCRIPTS[name].keys;
  if (expected !== undefined && keys.length !== expected)
    throw new Error(`script ${name} takes ${expected} keys, got ${keys.length}`);
  return (await runLua(client, scriptOf(name), keys, args)) as ScriptReply;
}
