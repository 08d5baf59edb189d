import { performance } from 'node:perf_hooks';
import type Redis from 'ioredis';
import { decodeKeySegment, type KeyBuilder } from '../../packages/registry/src/internals';

/** A user-id segment no encoded user id contains (`__` survives encoding, `*` would not). */
const MARK = '__bench_user__';

export interface ScanRevokeResult {
  readonly elapsedMs: number;
  /** SCAN calls (round trips) over the whole keyspace. */
  readonly scans: number;
  /** Users' server entries found and deleted (their generations bumped). */
  readonly matched: number;
  /** Every command sent: SCANs, one DEL per page, one INCR per user. */
  readonly commands: number;
}

/**
 * The naive revoke Strata does not do: SCAN the whole keyspace for users' server entries
 * (`{<prefix>:u:*}:servers`, COUNT `count`), DEL them and INCR each user's generation. Each page's
 * DEL and INCRs are pipelined without waiting while the scan goes on (a generous baseline).
 * `prefix`'s layout comes from the key builder, so the pattern follows it.
 */
export async function scanRevoke(client: Redis, keys: KeyBuilder, count: number): Promise<ScanRevokeResult> {
  const [head, tail] = keys.userKey(MARK, 'servers').split(MARK) as [string, string];
  const pattern = `${head}*${tail}`;
  const pending: Array<Promise<Array<[Error | null, unknown]> | null>> = [];
  let scans = 0;
  let matched = 0;
  let commands = 0;
  const startedAt = performance.now();
  let cursor = '0';
  do {
    const [next, found] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', count);
    scans += 1;
    commands += 1;
    cursor = next;
    if (found.length === 0) continue;
    const pipeline = client.pipeline();
    pipeline.del(...found);
    for (const key of found) {
      const userId = decodeKeySegment(key.slice(head.length, key.length - tail.length));
      pipeline.incr(keys.userKey(userId, 'gen'));
    }
    commands += 1 + found.length;
    matched += found.length;
    pending.push(pipeline.exec());
  } while (cursor !== '0');
  for (const replies of await Promise.all(pending)) {
    const failed = replies?.find(([error]) => error !== null);
    if (failed) throw failed[0] ?? new Error('pipeline failed');
  }
  return { elapsedMs: performance.now() - startedAt, scans, matched, commands };
}
