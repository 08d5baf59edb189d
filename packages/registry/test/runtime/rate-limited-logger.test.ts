import { rateLimitedLogger, type Logger } from '@strata/registry/internals';

interface Line {
  readonly level: string;
  readonly message: string;
  readonly meta: Record<string, unknown> | undefined;
}

function recorder(onLine: (line: Line) => void = () => undefined): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const record =
    (level: string) =>
    (message: string, meta?: Record<string, unknown>): void => {
      lines.push({ level, message, meta });
      onLine({ level, message, meta });
    };
  return {
    lines,
    logger: { error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug') },
  };
}

function fakeClock(): { now(): number; advance(ms: number): void } {
  let now = 1_000_000;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

describe('rateLimitedLogger', () => {
  it('writes the first line of a kind, counts the repeats and summarises them when the interval is over', () => {
    const { logger, lines } = recorder();
    const clock = fakeClock();
    const limited = rateLimitedLogger(logger, { intervalMs: 10_000, clock });
    for (let i = 0; i < 5_000; i += 1) {
      limited.warn('redis client error', { errorCode: 'ECONNREFUSED', errorMessage: `connect 127.0.0.1:${i}` });
    }
    expect(lines).toEqual([
      {
        level: 'warn',
        message: 'redis client error',
        meta: { errorCode: 'ECONNREFUSED', errorMessage: 'connect 127.0.0.1:0' },
      },
    ]);
    clock.advance(10_000);
    limited.warn('redis client error', { errorCode: 'ECONNREFUSED', errorMessage: 'again' });
    expect(lines.map((line) => line.message)).toEqual([
      'redis client error',
      'redis client error (4999 more like this in 10s)',
      'redis client error', // a new interval begins with a line of its own
    ]);
    expect(lines[1]?.meta).toMatchObject({ errorCode: 'ECONNREFUSED', repeated: 4_999, intervalMs: 10_000 });
    limited.close();
  });

  it('tells kinds apart by level, message, error code and component, never by the error message', () => {
    const { logger, lines } = recorder();
    const limited = rateLimitedLogger(logger, { intervalMs: 10_000, clock: fakeClock() });
    limited.warn('keyv error', { tier: 'app', errorCode: 'ECONNREFUSED', errorMessage: 'a' });
    limited.warn('keyv error', { tier: 'app', errorCode: 'ECONNREFUSED', errorMessage: 'b' }); // same kind
    limited.warn('keyv error', { tier: 'shared', errorCode: 'ECONNREFUSED' });
    limited.warn('keyv error', { tier: 'app', errorCode: 'ETIMEDOUT' });
    limited.error('keyv error', { tier: 'app', errorCode: 'ECONNREFUSED' });
    limited.warn('redis client error', { errorCode: 'ECONNREFUSED' });
    expect(lines).toHaveLength(5);
    limited.close(); // the pending count of the first kind is written on close
    expect(lines.at(-1)?.message).toBe('keyv error (1 more like this in 10s)');
    expect(lines).toHaveLength(6);
  });

  it('writes every line with an interval of 0', () => {
    const { logger, lines } = recorder();
    const limited = rateLimitedLogger(logger, { intervalMs: 0, clock: fakeClock() });
    for (let i = 0; i < 100; i += 1) limited.warn('same', {});
    expect(lines).toHaveLength(100);
    limited.close();
  });

  it('summarises on its own timer when no later line comes, and the timer does not outlive close()', async () => {
    let summarised: (line: Line) => void = () => undefined;
    const summary = new Promise<Line>((resolve) => (summarised = resolve));
    const { logger } = recorder((line) => {
      if (line.message.startsWith('burst (')) summarised(line);
    });
    const limited = rateLimitedLogger(logger, { intervalMs: 50, clock: { now: () => Date.now() } });
    limited.warn('burst', {});
    limited.warn('burst', {});
    limited.warn('burst', {});
    await summary; // written by the limiter's timer: nothing else logs in this test
    expect((await summary).meta).toMatchObject({ repeated: 2 });
    limited.close();
  });
});
