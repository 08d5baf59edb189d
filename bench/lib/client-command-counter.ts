import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { CommandCounts } from './command-counter';

/** How long to wait for MONITOR to echo the end marker. */
const MARKER_TIMEOUT_MS = 5_000;

/**
 * Commands clients sent to the server while `work` ran, from MONITOR: each is one request on the
 * wire (a network round trip unless pipelined with others). Commands run inside Lua scripts
 * (source `lua`) and this counter's own control traffic are left out. An `ECHO` marker sent after
 * `work` and seen on the feed proves every earlier command has been seen. Other clients of the
 * server are counted too: keep it quiet meanwhile.
 */
export async function countClientCommands<T>(
  control: Redis,
  work: () => Promise<T>,
): Promise<{ result: T; counts: CommandCounts }> {
  const controlAddress = await clientAddress(control);
  const monitor = await control.monitor();
  const byCommand = new Map<string, number>();
  const marker = `bench-marker-${randomBytes(8).toString('hex')}`;
  let markerSeen: (() => void) | undefined;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const command = (args[0] ?? '').toLowerCase();
    if (source === controlAddress) {
      if (command === 'echo' && args[1] === marker) markerSeen?.();
      return;
    }
    if (source === 'lua') return;
    byCommand.set(command, (byCommand.get(command) ?? 0) + 1);
  });
  try {
    const result = await work();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('MONITOR did not echo the end marker')), MARKER_TIMEOUT_MS);
      markerSeen = () => {
        clearTimeout(timer);
        resolve();
      };
      control.echo(marker).catch((error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
    let total = 0;
    for (const calls of byCommand.values()) total += calls;
    return { result, counts: { total, byCommand } };
  } finally {
    monitor.removeAllListeners('monitor');
    monitor.disconnect();
  }
}

/** `addr=` of the connection, as the server names it in MONITOR lines. */
async function clientAddress(client: Redis): Promise<string> {
  const info = String(await client.call('CLIENT', 'INFO'));
  const address = /(?:^|\s)addr=(\S+)/.exec(info)?.[1];
  if (!address) throw new Error('CLIENT INFO gave no addr=');
  return address;
}
