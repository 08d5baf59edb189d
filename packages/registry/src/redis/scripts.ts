import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import type { ScriptReply } from './script-replies';

/** Lua files live in `<package>/lua/`, two levels above this file in `src/` and in `dist/`. */
const LUA_DIR = join(__dirname, '..', '..', 'lua');

/**
 * Every script: file `verb-N.lua` (N = number of KEYS; `keys: undefined` when the caller passes
 * the count), and the version of its KEYS/ARGV/reply contract. The command name carries both
 * (`strata:put-server-2:v1`), so a script whose contract changed is a new command, never a
 * silent reinterpretation of an old one.
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

/** The command name a script is registered under. */
export function scriptCommand(name: ScriptName): string {
  const script = SCRIPTS[name];
  return `strata:${script.file.replace(/\.lua$/, '')}:v${script.version}`;
}

type ScriptMethod = (...args: Array<string | number>) => Promise<ScriptReply>;

/** Registers every script on a client once (ioredis `defineCommand`: EVALSHA with EVAL fallback). */
export function registerScripts(client: Redis | Cluster): void {
  const methods = client as unknown as Record<string, ScriptMethod | undefined>;
  // defineCommand adds the methods to the client itself: their presence is the "already done" mark.
  if (typeof methods[scriptCommand('putServer')] === 'function') return;
  for (const [name, script] of Object.entries(SCRIPTS) as Array<[ScriptName, (typeof SCRIPTS)[ScriptName]]>) {
    const lua = readFileSync(join(LUA_DIR, script.file), 'utf8');
    client.defineCommand(scriptCommand(name), script.keys === undefined ? { lua } : { numberOfKeys: script.keys, lua });
  }
}

/** Runs a registered script: `keys` then `args` (the key count is passed for `keys: undefined` scripts). */
export function runScript(
  client: Redis | Cluster,
  name: ScriptName,
  keys: readonly string[],
  args: readonly string[],
): Promise<ScriptReply> {
  registerScripts(client);
  const method = (client as unknown as Record<string, ScriptMethod>)[scriptCommand(name)];
  if (!method) throw new Error(`script ${name} is not registered`);
  const call = method.bind(client);
  return SCRIPTS[name].keys === undefined ? call(keys.length, ...keys, ...args) : call(...keys, ...args);
}
