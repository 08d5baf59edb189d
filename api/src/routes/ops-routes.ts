import { Router, type RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Strata } from '@strata/registry';
import { withDeadline } from '../runtime/deadline';
import { handle } from './context';

/** One dependency `/readyz` checks; `check` rejects when it is not ready. */
export interface ReadinessCheck {
  readonly name: string;
  check(): Promise<unknown>;
}

/** `/healthz` (the process answers), `/readyz` (every check passes within `timeoutMs`). */
export function healthRoutes(
  checks: readonly ReadinessCheck[],
  timeoutMs: number,
  isShuttingDown: () => boolean,
): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get(
    '/readyz',
    handle(async (_req, res) => {
      const results = await Promise.all(
        checks.map(async (readiness) => {
          const { name } = readiness;
          try {
            await withDeadline(readiness.check(), timeoutMs, () => new Error(`no answer within ${timeoutMs} ms`));
            return { name, ok: true };
          } catch (error) {
            return { name, ok: false, reason: error instanceof Error ? error.message : String(error) };
          }
        }),
      );
      const ready = !isShuttingDown() && results.every((result) => result.ok);
      res
        .status(ready ? 200 : 503)
        .json({ status: ready ? 'ready' : isShuttingDown() ? 'shutting down' : 'not ready', checks: results });
    }),
  );
  return router;
}

/**
 * prom-client metrics of one instance, in a registry of its own (several instances in one process
 * never collide): an HTTP histogram by method, route and status, and every counter of `strata.stats()`.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly http: Histogram<'method' | 'route' | 'status'>;

  constructor(strata: Strata, events?: { readonly pending: number; readonly dropped: number }) {
    this.http = new Histogram({
      name: 'strata_http_request_duration_seconds',
      help: 'HTTP request duration by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    const stats = () => strata.stats();
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    const gauge = (name: string, help: string, labelNames: string[], read: (g: Gauge) => void) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers: [this.registry],
        collect() {
          this.reset();
          read(this);
        },
      });
    const privateTier = () => stats().privateTier;
    gauge(
      'strata_private_tier_total',
      'Private tier counters (loader calls, commits, lock waits, stale drops, near-cache hits/misses, …)',
      ['counter'],
      (g) => {
        for (const [key, value] of Object.entries(privateTier())) g.set({ counter: key }, value);
      },
    );
    counter(
      'strata_loads_total',
      'Loader calls (private servers read from the database)',
      () => privateTier().loaderCalls,
    );
    gauge('strata_near_cache_total', 'App and shared near-cache counters', ['tier', 'counter'], (g) => {
      for (const [tier, values] of Object.entries(stats().nearCache))
        for (const [key, value] of Object.entries<number>({ ...values })) g.set({ tier, counter: key }, value);
    });
    gauge('strata_near_cache_hit_ratio', 'Near-cache hit ratio (hits / (hits + misses)) by tier', ['tier'], (g) => {
      const ratio = (hits = 0, misses = 0) => (hits + misses === 0 ? 0 : hits / (hits + misses));
      for (const [tier, values] of Object.entries(stats().nearCache)) {
        g.set({ tier }, ratio(values.hits, values.misses));
      }
      const p = privateTier();
      g.set({ tier: 'private' }, ratio(p.nearHits, p.nearMisses));
    });
    gauge('strata_bus_total', 'Change bus counters (received, dropped, reconnects)', ['counter'], (g) => {
      for (const [key, value] of Object.entries(stats().bus)) g.set({ counter: key }, value);
    });
    gauge('strata_connections', 'Live MCP connections of this instance by state', ['state'], (g) => {
      for (const [state, value] of Object.entries(stats().connections)) g.set({ state }, value);
    });
    if (events) {
      gauge('strata_events_pending', 'Events this instance caused that wait to be appended to the event log', [], (g) =>
        g.set(events.pending),
      );
      counter(
        'strata_events_dropped_total',
        'Events dropped because the event log stayed unavailable past the buffer (each run of drops is a reset marker)',
        () => events.dropped,
      );
    }
  }

  /** Records every request's duration under its route pattern (never the raw path: no label explosion). */
  readonly middleware: RequestHandler = (req, res, next) => {
    const end = this.http.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      const pattern = route ? `${req.baseUrl}${route}` : 'unmatched';
      end({ method: req.method, route: pattern, status: String(res.statusCode) });
    });
    next();
  };

  readonly handler: RequestHandler = handle(async (_req, res) => {
    res.type(this.registry.contentType).send(await this.registry.metrics());
  });
}
