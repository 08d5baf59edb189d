import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createStrata, MemoryAccessRepository, type Strata } from '@strata/registry';
import { parseServerConfig } from '@strata/config';
import { createStrataRouter, type StrataRouter } from '@strata/api';
import { call } from './support/instances';

describe('router factory mounted in a host Express app (host auth middleware sets the user)', () => {
  let strata: Strata;
  let api: StrataRouter;
  let server: Server;
  let url: string;
  beforeAll(async () => {
    const repository = new MemoryAccessRepository();
    strata = await createStrata({
      repository,
      appServers: [{ name: 'app-one', config: parseServerConfig({ type: 'sse', url: 'https://app.example/sse' }) }],
    });
    await strata.start();
    api = await createStrataRouter({
      strata,
      repository,
      // The host's own sign-in: here a trusted header set by its session layer.
      authenticate: (req, res, next) => {
        const user = req.headers['x-host-user'];
        if (typeof user === 'string') res.locals['user'] = { id: user, role: user === 'boss' ? 'admin' : 'user' };
        next();
      },
    });
    const app = express();
    app.use(api.metricsMiddleware);
    app.get('/host-page', (_req, res) => void res.send('host'));
    app.use('/strata', api.ops);
    app.use('/api', api.router);
    server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await api.close();
    await new Promise((resolve) => server.close(resolve));
    await strata.close();
  });

  it("serves the same handlers under the host's auth: 401 signed out, the user's set signed in, 403/200 on admin routes", async () => {
    expect((await call(`${url}/host-page`)).body).toBe('host');
    expect((await call(`${url}/api/servers`)).status).toBe(401);
    await strata.admin.createServer('hers', { type: 'sse', url: 'https://hers.example/sse' }, { userIds: ['hana'] });
    const hana = await call(`${url}/api/servers`, { headers: { 'x-host-user': 'hana' } });
    expect(hana.status).toBe(200);
    expect(hana.body.servers.map((s: { name: string }) => s.name).sort()).toEqual(['app-one', 'hers']);
    const ivo = await call(`${url}/api/servers`, { headers: { 'x-host-user': 'ivo' } });
    expect(ivo.body.servers.map((s: { name: string }) => s.name)).toEqual(['app-one']);
    expect((await call(`${url}/api/admin/servers`, { headers: { 'x-host-user': 'ivo' } })).status).toBe(403);
    const boss = await call(`${url}/api/admin/servers`, { headers: { 'x-host-user': 'boss' } });
    expect(boss.status).toBe(200);
    expect(boss.body.servers.map((s: { name: string }) => s.name)).toEqual(['hers']);
    // No dev sign-in unless the host asks for it.
    expect((await call(`${url}/api/auth/dev-login`, { method: 'POST', body: { username: 'x' } })).status).toBe(401);
  });

  it('exports the login hook: loads once and answers the effective set, sanitised', async () => {
    await strata.admin.createServer(
      'secretive',
      {
        type: 'streamable-http',
        url: 'https://s.example/mcp',
        headers: { Authorization: 'Bearer sk-live-abcdefghijklmnop' },
      },
      { userIds: ['jay'] },
    );
    const before = strata.stats().privateTier.loaderCalls;
    const [first, second] = await Promise.all([api.loginHook('jay'), api.loginHook('jay')]);
    expect(strata.stats().privateTier.loaderCalls - before).toBe(1);
    expect(first.map((s) => s.name).sort()).toEqual(['app-one', 'secretive']);
    expect(second).toEqual(first);
    expect(JSON.stringify(first)).not.toContain('sk-live');
    expect(first.find((s) => s.name === 'secretive')?.config).toMatchObject({ headerNames: ['Authorization'] });
  });

  it('ops routes: healthz, readyz, and metrics with HTTP histograms and strata counters', async () => {
    expect((await call(`${url}/strata/healthz`)).status).toBe(200);
    const ready = await call(`${url}/strata/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body.checks.map((c: { name: string }) => c.name)).toEqual(['app-tier']);
    const metrics = (await call(`${url}/strata/metrics`)).body as string;
    expect(metrics).toMatch(
      /strata_http_request_duration_seconds_count\{method="GET",route="\/api\/servers",status="200"\} \d+/,
    );
    expect(metrics).toMatch(/strata_loads_total \d+/);
    expect(metrics).toMatch(/strata_private_tier_total\{counter="waits"\}/);
    expect(metrics).toMatch(/strata_near_cache_hit_ratio\{tier="app"\}/);
    expect(metrics).toMatch(/strata_bus_total\{counter="reconnects"\}/);
    expect(metrics).toMatch(/strata_connections\{state="connected"\} 0/);
    expect(metrics).toMatch(/strata_events_pending 0/);
    expect(metrics).toMatch(/strata_events_dropped_total 0/);
  });
});
