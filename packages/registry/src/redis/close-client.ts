import type { Cluster, Redis } from 'ioredis';

/**
 * Closes an ioredis client without leaving a timer behind: QUIT when it is connected (bounded by
 * `timeoutMs`), a plain disconnect otherwise, nothing when it is already closed.
 */
export async function closeClient(client: Redis | Cluster, timeoutMs: number): Promise<void> {
  if (client.status === 'end') return;
  if (client.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    const quit = client.quit().then(
      () => true,
      () => false,
    );
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const quitCleanly = await Promise.race([quit, timedOut]);
    clearTimeout(timer);
    if (quitCleanly) return;
  }
  if ((client.status as string) !== 'end') client.disconnect();
}
