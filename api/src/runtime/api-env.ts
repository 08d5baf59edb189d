import type { RedisConnection } from '@strata/registry';

/** Every environment variable the server reads, with its default (config/.env.example lists the same). */
export const ENV_DEFAULTS = {
  NODE_ENV: 'development',
  HOST: '127.0.0.1',
  PORT: '3080',
  STRATA_PUBLIC_URL: '',
  REDIS_URI: '',
  REDIS_CLUSTER_NODES: '',
  STRATA_KEY_PREFIX: 'strata',
  MONGO_URI: '',
  STRATA_MONGO_DB: 'strata',
  STRATA_DATA_DIR: '.data',
  STRATA_CONFIG: 'config/strata.yaml',
  STRATA_CLIENT_DIR: 'client/dist',
  STRATA_JWT_SECRET: '',
  STRATA_JWKS_URL: '',
  STRATA_JWT_ISSUER: '',
  STRATA_JWT_AUDIENCE: '',
  STRATA_DEV_LOGIN: '',
  STRATA_SEED: '',
  STRATA_INSTANCE_ID: '',
  STRATA_BODY_LIMIT: '100kb',
  STRATA_REQUEST_TIMEOUT_MS: '10000',
  STRATA_TOOL_TIMEOUT_MS: '30000',
  STRATA_SHUTDOWN_TIMEOUT_MS: '10000',
  STRATA_EVENT_RETENTION: '10000',
  STRATA_SSE_HEARTBEAT_MS: '15000',
  STRATA_SIGNIN_RATE_PER_MIN: '60',
  STRATA_TOOL_CALL_RATE_PER_MIN: '300',
  LOG_LEVEL: 'info',
  LOG_FORMAT: '',
} as const;

export type EnvName = keyof typeof ENV_DEFAULTS;

/** The server's settings, read once from the environment at start (never at import time). */
export interface ApiSettings {
  readonly production: boolean;
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string | undefined;
  readonly redis: RedisConnection | undefined;
  readonly keyPrefix: string;
  /** Undefined: embedded (mongodb-memory-server, then FerretDB). */
  readonly mongoUri: string | undefined;
  readonly mongoDb: string;
  readonly dataDir: string;
  readonly configFile: string;
  /** The built browser client (`npm run build -w @strata/client`), served at `/` when its index.html exists. */
  readonly clientDir: string;
  readonly jwtSecret: string | undefined;
  readonly jwksUrl: string | undefined;
  readonly jwtIssuer: string | undefined;
  readonly jwtAudience: string | undefined;
  /** Off when NODE_ENV=production whatever is set; else STRATA_DEV_LOGIN, defaulting to on for the embedded default (no MONGO_URI). */
  readonly devLogin: boolean;
  /** Seed demo users and servers into an empty database. Default: same as devLogin. */
  readonly seed: boolean;
  readonly instanceId: string | undefined;
  readonly bodyLimit: string;
  readonly requestTimeoutMs: number;
  readonly toolTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly eventRetention: number;
  readonly heartbeatMs: number;
  readonly signInsPerMinute: number;
  readonly toolCallsPerMinute: number;
  readonly logLevel: string;
  readonly logFormat: 'json' | 'pretty';
}

/** A bad variable: the message names it and says what it must be. */
export class SettingsError extends Error {}

function flag(value: string, name: string): boolean | undefined {
  if (value === '') return undefined;
  if (/^(1|true|on|yes)$/i.test(value)) return true;
  if (/^(0|false|off|no)$/i.test(value)) return false;
  throw new SettingsError(`${name} must be true or false (got "${value}")`);
}

function integer(value: string, name: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new SettingsError(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
  }
  return parsed;
}

function clusterNodes(value: string): Array<{ host: string; port: number }> {
  return value.split(',').map((entry) => {
    const match = /^\s*(.+):(\d{1,5})\s*$/.exec(entry);
    if (!match?.[1] || !match[2]) throw new SettingsError(`REDIS_CLUSTER_NODES: "${entry}" is not host:port`);
    return { host: match[1], port: Number(match[2]) };
  });
}

/** Reads and checks every variable; throws {@link SettingsError} naming the first bad one. */
export function readSettings(env: NodeJS.ProcessEnv): ApiSettings {
  const get = (name: EnvName): string => (env[name] ?? '').trim() || ENV_DEFAULTS[name];
  const production = get('NODE_ENV') === 'production';
  const mongoUri = get('MONGO_URI') || undefined;
  const devLoginWanted = flag(get('STRATA_DEV_LOGIN'), 'STRATA_DEV_LOGIN') ?? mongoUri === undefined;
  const devLogin = devLoginWanted && !production;
  const redis: RedisConnection | undefined = get('REDIS_CLUSTER_NODES')
    ? { clusterNodes: clusterNodes(get('REDIS_CLUSTER_NODES')) }
    : get('REDIS_URI')
      ? { url: get('REDIS_URI') }
      : undefined;
  const logFormat = get('LOG_FORMAT') || (production ? 'json' : 'pretty');
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new SettingsError('LOG_FORMAT must be json or pretty');
  return {
    production,
    host: get('HOST'),
    port: integer(get('PORT'), 'PORT', 0, 65_535),
    publicUrl: get('STRATA_PUBLIC_URL') || undefined,
    redis,
    keyPrefix: get('STRATA_KEY_PREFIX'),
    mongoUri,
    mongoDb: get('STRATA_MONGO_DB'),
    dataDir: get('STRATA_DATA_DIR'),
    configFile: get('STRATA_CONFIG'),
    clientDir: get('STRATA_CLIENT_DIR'),
    jwtSecret: get('STRATA_JWT_SECRET') || undefined,
    jwksUrl: get('STRATA_JWKS_URL') || undefined,
    jwtIssuer: get('STRATA_JWT_ISSUER') || undefined,
    jwtAudience: get('STRATA_JWT_AUDIENCE') || undefined,
    devLogin,
    seed: flag(get('STRATA_SEED'), 'STRATA_SEED') ?? devLogin,
    instanceId: get('STRATA_INSTANCE_ID') || undefined,
    bodyLimit: get('STRATA_BODY_LIMIT'),
    requestTimeoutMs: integer(get('STRATA_REQUEST_TIMEOUT_MS'), 'STRATA_REQUEST_TIMEOUT_MS', 100, 600_000),
    toolTimeoutMs: integer(get('STRATA_TOOL_TIMEOUT_MS'), 'STRATA_TOOL_TIMEOUT_MS', 100, 600_000),
    shutdownTimeoutMs: integer(get('STRATA_SHUTDOWN_TIMEOUT_MS'), 'STRATA_SHUTDOWN_TIMEOUT_MS', 100, 120_000),
    eventRetention: integer(get('STRATA_EVENT_RETENTION'), 'STRATA_EVENT_RETENTION', 10, 10_000_000),
    heartbeatMs: integer(get('STRATA_SSE_HEARTBEAT_MS'), 'STRATA_SSE_HEARTBEAT_MS', 100, 600_000),
    signInsPerMinute: integer(get('STRATA_SIGNIN_RATE_PER_MIN'), 'STRATA_SIGNIN_RATE_PER_MIN', 1, 1_000_000),
    toolCallsPerMinute: integer(get('STRATA_TOOL_CALL_RATE_PER_MIN'), 'STRATA_TOOL_CALL_RATE_PER_MIN', 1, 1_000_000),
    logLevel: get('LOG_LEVEL'),
    logFormat,
  };
}
