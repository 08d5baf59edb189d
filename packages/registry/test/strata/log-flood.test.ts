// A Redis outage must not flood the logs: every failing call used to write several lines, so an
// outage wrote thousands a second. Through createStrata every component logs through one limiter
// (a kind of line once per interval, with a count). The outage is real: this test's own
// redis-server (never the shared one) is killed under a running instance.
import { randomBytes } from 'node:crypto';
import { RedisServerProcess } from '@strata/test-harness';
import { createStrata, type Logger, type Strata } from '@strata/registry/internals';
import { stdioConfig } from '../helpers';

const CALLS = 3_000;

interface Counted {
  readonly logger: Logger;
  readonly lines: string[];
}

function countingLogger(): Counted {
  const lines: string[] = [];
  const record = (message: string): void => void lines.push(message);
  return { lines, logger: { error: record, warn: record, info: record, debug: record } };
}

let server: RedisServerProcess;
let strata: Strata | undefined;

beforeEach(async () => {
  server = await RedisServerProcess.start();
});

afterEach(async () => {
  await strata?.close();
  strata = undefined;
  await server.stop();
});

/** Kills Redis under a started instance, makes CALLS failing calls, and returns the lines logged meanwhile. */
async function linesDuringOutage(
  logRepeatIntervalMs: number | undefined,
): Promise<{ lines: string[]; failed: number }> {
  const { logger, lines } = countingLogger();
  strata = await createStrata({
    redis: { url: server.url },
    keyPrefix: `lf${randomBytes(4).toString('hex')}`,
    appServers: [{ name: 'files', config: stdioConfig('node', ['files.js']) }],
    logger,
    redisTimeoutMs: 500,
    ...(logRepeatIntervalMs === undefined ? {} : { logRepeatIntervalMs }),
  });
  await strata.start();
  await strata.admin.createServer('wiki', stdioConfig('node', ['wiki.js']), { userIds: ['alice'] });
  await strata.login('alice');
  await server.kill();
  const before = lines.length;
  let failed = 0;
  for (let i = 0; i < CALLS; i += 1) {
    // Users never loaded here: no stale copy to serve, every call fails REDIS_UNAVAILABLE.
    const call = i % 3 === 0 ? strata.login(`u${i}`) : strata.getServers({ userId: `u${i}` });
    await call.then(
      () => undefined,
      (error: unknown) => {
        if ((error as { code?: unknown }).code === 'REDIS_UNAVAILABLE') failed += 1;
      },
    );
  }
  return { lines: lines.slice(before), failed };
}

describe('logs during a Redis outage', () => {
  it(`${CALLS} failing calls write a bounded number of lines (a kind once per interval, with a count)`, async () => {
    const { lines, failed } = await linesDuringOutage(undefined);
    expect(failed).toBe(CALLS);
    expect(lines.length).toBeLessThanOrEqual(30);
    await strata?.close(); // pending counts are summarised on close
    strata = undefined;
  });

  it('the same outage without the limiter (interval 0) writes a line or more per failing call', async () => {
    // The control: shows the count above is the limiter's doing, not a quiet code path.
    const { lines, failed } = await linesDuringOutage(0);
    expect(failed).toBe(CALLS);
    expect(lines.length).toBeGreaterThanOrEqual(CALLS);
  });
});
