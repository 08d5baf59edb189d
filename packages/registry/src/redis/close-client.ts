import type { Cluster, Redis } from 'ioredis';

/**
 * Closes an ioredis client without leaving a timer or a socket behind: QUIT when it is connected,
 * a plain disconnect otherwise, and resolves once the client has ended (its `end` event), all
 * within `timeoutMs`; nothing when it is already closed.
 */
export async function closeClient(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<boolean>((resolve) => {
    client.once('end', () => resolve(true));
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    if (client.status === 'ready') {
      void client.quit().catch(() => undefined);
      if (await ended) return;
    }
    if ((client.status as string) !== 'end') client.disconnect();
    if ((client.status as string) !== 'end') await ended;
  } finally {
    clearTimeout(timer);
  }
}
