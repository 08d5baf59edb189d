import type Redis from 'ioredis';

/** Commands by name (lower case, subcommands as `config|get`) and their total. */
export interface CommandCounts {
  readonly total: number;
  readonly byCommand: ReadonlyMap<string, number>;
}

/** `calls=` of every `cmdstat_*` line of `INFO commandstats`. */
export async function readCommandStats(client: Redis): Promise<Map<string, number>> {
  const info = await client.info('commandstats');
  const calls = new Map<string, number>();
  for (const line of info.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (match?.[1] !== undefined && match[2] !== undefined) calls.set(match[1], Number(match[2]));
  }
  return calls;
}

/**
 * Commands the server executed while `work` ran, from `INFO commandstats` before and after (the
 * first INFO is itself counted in the second reading, so one `info` is taken off). Server-side
 * executions: commands a Lua script calls (`redis.call`) are counted too, as the server counts
 * them. Nothing else may talk to the server meanwhile, or its commands are counted as well.
 */
export async function countServerCommands<T>(
  control: Redis,
  work: () => Promise<T>,
): Promise<{ result: T; counts: CommandCounts }> {
  const before = await readCommandStats(control);
  const result = await work();
  const after = await readCommandStats(control);
  const byCommand = new Map<string, number>();
  let total = 0;
  for (const [command, calls] of after) {
    const delta = calls - (before.get(command) ?? 0) - (command === 'info' ? 1 : 0);
    if (delta <= 0) continue;
    byCommand.set(command, delta);
    total += delta;
  }
  return { result, counts: { total, byCommand } };
}

/** `evalsha=2 hget=2` — for the report. */
export function formatCounts(counts: CommandCounts): string {
  return [...counts.byCommand]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([command, calls]) => `${command}=${calls}`)
    .join(' ');
}
