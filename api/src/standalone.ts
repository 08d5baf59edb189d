import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express from 'express';
import type winston from 'winston';
import type { Strata } from '@strata/registry';
import { upsertUser, type UserModel } from '@strata/data-schemas';
import type { MongoTarget } from './embedded/mongo-target';
import { seedDemo } from './embedded/seed';
import { bearerAuth, createTokenSigner, createTokenVerifier, type ApiUser } from './http/auth';
import { problemHandler, requestContext, routeNotFound } from './http/middleware';
import { readSettings, SettingsError, type ApiSettings } from './runtime/api-env';
import { withDeadline } from './runtime/deadline';
import { createApiLogger } from './runtime/logger';
import { createStrataRouter, type StrataRouter } from './create-router';
import { fromRoot, openStrata } from './open-strata';

/** A running standalone server. */
export interface RunningApi {
  readonly url: string;
  readonly settings: ApiSettings;
  readonly strata: Strata;
  readonly mongo: MongoTarget;
  /** Whether this run seeded the demo data. */
  readonly seeded: boolean;
  /**
   * Graceful shutdown within `settings.shutdownTimeoutMs`: stop accepting, end event streams with a
   * retry hint, let in-flight requests finish, close Strata (MCP children end), the database
   * connection and an embedded database. Idempotent.
   */
  close(): Promise<void>;
}

/** The dev JWT secret: STRATA_JWT_SECRET, else (not production) one kept in the data dir between runs. */
function jwtSecret(settings: ApiSettings, dataDir: string): string | undefined {
  if (settings.jwtSecret) return settings.jwtSecret;
  if (settings.jwksUrl) return undefined;
  if (settings.production)
    throw new SettingsError('NODE_ENV=production needs STRATA_JWT_SECRET (32+ bytes) or STRATA_JWKS_URL');
  const file = join(dataDir, 'dev-jwt-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** index.html is revalidated on every load (it names the hashed bundles); the bundles are cached. */
function noCacheIndex(res: express.Response, file: string): void {
  if (file.endsWith('index.html')) res.setHeader('cache-control', 'no-cache');
}

async function findOrCreateUser(users: UserModel, userId: string): Promise<ApiUser> {
  const existing = await users.findOne({ userId }).maxTimeMS(5_000).lean().exec();
  if (existing) return { id: existing.userId, role: existing.role };
  const created = await upsertUser(users, { userId, name: userId });
  return { id: created.userId, role: created.role };
}

/** What {@link startApi} takes besides the environment. */
export interface StartApiOptions {
  /** Where log lines go. @defaultValue the console (stderr) */
  readonly logTransports?: winston.transport[];
}

/** Starts one instance from the environment (what `npm start` runs). */
export async function startApi(
  env: NodeJS.ProcessEnv = process.env,
  options: StartApiOptions = {},
): Promise<RunningApi> {
  const settings = readSettings(env);
  const logger = createApiLogger({
    level: settings.logLevel,
    format: settings.logFormat,
    ...(options.logTransports ? { transports: options.logTransports } : {}),
  });
  const dataDir = fromRoot(settings.dataDir);
  const secret = jwtSecret(settings, dataDir);
  const verify = createTokenVerifier({
    ...(settings.jwksUrl ? { jwksUrl: settings.jwksUrl } : { secret: secret ?? '' }),
    ...(settings.jwtIssuer ? { issuer: settings.jwtIssuer } : {}),
    ...(settings.jwtAudience ? { audience: settings.jwtAudience } : {}),
  });
  const cleanups: Array<() => Promise<unknown>> = [];
  const unwind = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const {
      strata,
      repository,
      users: User,
      connection,
      mongo,
      close: closeStrata,
    } = await openStrata(settings, env, logger);
    cleanups.push(closeStrata);
    const { seeded } = settings.seed ? await seedDemo(strata, User) : { seeded: false };

    const app = express();
    app.disable('x-powered-by');
    const server: Server = await new Promise((resolveListen, reject) => {
      const listening = app.listen(settings.port, settings.host, () => resolveListen(listening));
      listening.once('error', reject);
    });
    const drained = new Promise<void>((done) => server.once('close', () => done()));
    cleanups.push(() => {
      if (server.listening) server.close();
      server.closeAllConnections();
      return drained;
    });
    const { port } = server.address() as AddressInfo;
    const url =
      settings.publicUrl ?? `http://${settings.host.includes(':') ? `[${settings.host}]` : settings.host}:${port}`;

    const sign = secret ? createTokenSigner(secret) : undefined;
    const router: StrataRouter = await createStrataRouter({
      strata,
      repository,
      logger,
      authenticate: bearerAuth(verify),
      bodyLimit: settings.bodyLimit,
      requestTimeoutMs: settings.requestTimeoutMs,
      toolTimeoutMs: settings.toolTimeoutMs,
      eventRetention: settings.eventRetention,
      heartbeatMs: settings.heartbeatMs,
      signInsPerMinute: settings.signInsPerMinute,
      toolCallsPerMinute: settings.toolCallsPerMinute,
      url,
      ...(settings.devLogin && sign
        ? { devLogin: { sign, findOrCreate: (userId) => findOrCreateUser(User, userId) } }
        : {}),
      readiness: [{ name: 'mongodb', check: () => connection.db!.admin().command({ ping: 1 }) }],
    });
    cleanups.push(() => router.close());
    app.use(requestContext(logger));
    app.use(router.metricsMiddleware);
    const clientDir = fromRoot(settings.clientDir);
    const clientIndex = join(clientDir, 'index.html');
    const hasClient = existsSync(clientIndex);
    if (!hasClient) {
      app.get('/', (_req, res) => {
        res.json({
          name: 'strata',
          instance: strata.instanceId,
          signIn: settings.devLogin ? 'POST /api/auth/dev-login {"username":"admin"}' : 'Authorization: Bearer <JWT>',
        });
      });
    }
    app.use(router.ops);
    app.use('/api', router.router);
    if (hasClient) {
      // The browser client: its files, then index.html for any other GET outside /api (client-side routes).
      app.use(express.static(clientDir, { index: 'index.html', maxAge: '1h', setHeaders: noCacheIndex }));
      app.get(/^\/(?!api\/|api$).*/, (_req, res) =>
        res.sendFile(clientIndex, { headers: { 'cache-control': 'no-cache' } }),
      );
    }
    app.use(routeNotFound);
    app.use(problemHandler(logger));

    let closing: Promise<void> | undefined;
    const close = () =>
      (closing ??= (async () => {
        router.drain();
        server.close(); // stop accepting; 'close' fires once every connection has ended
        server.closeIdleConnections();
        router.endStreams(1_000);
        await withDeadline(
          drained,
          Math.floor(settings.shutdownTimeoutMs / 2),
          () => new Error('drain deadline'),
        ).catch(() => {
          server.closeAllConnections();
        });
        await withDeadline(unwind(), settings.shutdownTimeoutMs, () => new Error('shutdown deadline'));
      })());
    logger.info('strata api listening', { url, instanceId: strata.instanceId, mongo: mongo.description });
    return { url, settings, strata, mongo, seeded, close };
  } catch (error) {
    await unwind();
    throw error;
  }
}
