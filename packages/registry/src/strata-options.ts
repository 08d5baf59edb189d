import { checkIntegerRanges, ValidationError, type FieldIssue, type NamedServerConfig } from '@strata/config';
import type { RegistryBackend } from './backends/backend';
import type { RedisConnection } from './backends/redis-backend';
import type { AccessAdminHooks } from './admin/access-admin';
import type { ConnectionManagerOptions } from './connections/connection-options';
import type { AccessRepository } from './private/access-repository';
import type { PrivateLoader, PrivateTierOptions } from './private/private-tier-options';
import { DEFAULT_PRIVATE_TIER_OPTIONS } from './private/private-tier-options';
import { DEFAULT_REGISTRY_OPTIONS, type RegistryOptions } from './registry/registry-options';
import type { Clock } from './runtime/clock';
import type { Logger } from './runtime/logger';

/** Options of {@link createStrata}. Every field is optional: `createStrata()` runs in memory. */
export interface StrataOptions {
  /** Redis (standalone URL or cluster seed nodes). @defaultValue memory: one process, no Redis */
  readonly redis?: RedisConnection;
  /**
   * A backend built by the caller, e.g. one memory backend shared by several instances of one
   * process (tests, benches). The caller closes it; `close()` does not. Not with `redis`.
   */
  readonly backend?: RegistryBackend;
  /** Prefix of every Redis key and channel. @defaultValue 'strata' */
  readonly keyPrefix?: string;
  /** Deadline of every Redis call, connects included. @defaultValue 2000 */
  readonly redisTimeoutMs?: number;
  /** This deploy's app-tier servers (e.g. `parseStrataYaml(text, file, { strict: true }).servers`). @defaultValue [] */
  readonly appServers?: readonly NamedServerConfig[];
  /** The source of truth for private servers and who may use them. @defaultValue an in-process repository */
  readonly repository?: AccessRepository;
  /** Reads one user's private servers. @defaultValue `repository.serversForUser` */
  readonly loader?: PrivateLoader;
  /** winston-compatible logger. @defaultValue silent */
  readonly logger?: Logger;
  /**
   * A repeated log line (same level, message, error code and component) is written once per this
   * interval; the repeats are counted and summarised (`… (N more like this in Xs)`). 0 writes
   * every line. @defaultValue 10000
   */
  readonly logRepeatIntervalMs?: number;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** Names this instance in every event, log and lock, for all its components. @defaultValue a random id */
  readonly instanceId?: string;
  /** The registry's own options (documented on {@link RegistryOptions}). */
  readonly registry?: Pick<RegistryOptions, 'nearCacheMaxStalenessMs' | 'appLeaseTtlMs' | 'appReadyTimeoutMs'>;
  /** The private tier's own options (documented on {@link PrivateTierOptions}). */
  readonly privateTier?: Pick<
    PrivateTierOptions,
    | 'lockTtlMs'
    | 'dataTtlMs'
    | 'loadTimeoutMs'
    | 'nearCacheTtlMs'
    | 'nearCacheMaxUsers'
    | 'staleIfErrorMs'
    | 'maxCommitAttempts'
    | 'hooks'
  >;
  readonly admin?: {
    /**
     * How long a promote or demote keeps a server in both tiers. Must exceed both near-cache
     * bounds (`registry.nearCacheMaxStalenessMs`, `privateTier.nearCacheTtlMs`).
     * @defaultValue 250 ms more than the larger near-cache bound
     */
    readonly moveSettleMs?: number;
    /** A change pending this long is taken as interrupted and replayed by any instance. @defaultValue 2000 */
    readonly replayGraceMs?: number;
    /** How often each instance looks for interrupted changes. @defaultValue 1000 */
    readonly replayIntervalMs?: number;
    readonly hooks?: AccessAdminHooks;
  };
  readonly connections?: Omit<
    ConnectionManagerOptions,
    'registry' | 'bus' | 'toolsCache' | 'logger' | 'clock' | 'instanceId'
  >;
  readonly tools?: {
    /** TTL of a tool list. @defaultValue 3600000 */
    readonly ttlMs?: number;
  };
  /** Bound of `start()`. @defaultValue appReadyTimeoutMs + 5000 */
  readonly startTimeoutMs?: number;
}

/** Margin by which the default settle time exceeds the near-cache bounds. */
const SETTLE_MARGIN_MS = 250;

/** Options with every cross-component default decided (what {@link createStrata} builds from). */
export interface ResolvedStrataOptions {
  readonly nearCacheMaxStalenessMs: number;
  readonly privateNearCacheTtlMs: number;
  readonly moveSettleMs: number;
  readonly startTimeoutMs: number;
}

/**
 * Range checks, then the rules no single component can check: one storage choice, and a move's
 * settle time longer than every near cache that could still show the old tier. One
 * `INVALID_OPTIONS` error names every bad field.
 */
export function resolveStrataOptions(options: StrataOptions): ResolvedStrataOptions {
  const shapeProblems = shapeIssues(options);
  if (shapeProblems.length > 0) throw new ValidationError('INVALID_OPTIONS', shapeProblems);
  checkIntegerRanges(options, [
    ['redisTimeoutMs', 10, 60_000],
    ['startTimeoutMs', 100, 3_600_000],
    ['logRepeatIntervalMs', 0, 3_600_000],
  ]);
  const nearCacheMaxStalenessMs =
    options.registry?.nearCacheMaxStalenessMs ?? DEFAULT_REGISTRY_OPTIONS.nearCacheMaxStalenessMs;
  const privateNearCacheTtlMs = options.privateTier?.nearCacheTtlMs ?? DEFAULT_PRIVATE_TIER_OPTIONS.nearCacheTtlMs;
  const bound = Math.max(nearCacheMaxStalenessMs, privateNearCacheTtlMs);
  const moveSettleMs = options.admin?.moveSettleMs ?? bound + SETTLE_MARGIN_MS;
  const issues: FieldIssue[] = [];
  if (options.redis && options.backend) {
    issues.push({ path: 'backend', message: 'give either redis or backend, not both' });
  }
  if (options.admin?.moveSettleMs !== undefined && moveSettleMs <= bound) {
    issues.push({
      path: 'admin.moveSettleMs',
      message: `must exceed the near-cache bounds (${bound} ms): a slower setting lets a promote or demote hide a server`,
    });
  }
  if (issues.length > 0) throw new ValidationError('INVALID_OPTIONS', issues);
  const appReadyTimeoutMs = options.registry?.appReadyTimeoutMs ?? DEFAULT_REGISTRY_OPTIONS.appReadyTimeoutMs;
  return {
    nearCacheMaxStalenessMs,
    privateNearCacheTtlMs,
    moveSettleMs,
    startTimeoutMs: options.startTimeoutMs ?? appReadyTimeoutMs + 5_000,
  };
}

/** Every option createStrata knows; anything else is a typo or a hostile key, refused by name. */
const KNOWN_OPTIONS: ReadonlySet<string> = new Set<keyof StrataOptions>([
  'redis',
  'backend',
  'keyPrefix',
  'redisTimeoutMs',
  'appServers',
  'repository',
  'loader',
  'logger',
  'clock',
  'instanceId',
  'registry',
  'privateTier',
  'admin',
  'connections',
  'tools',
  'startTimeoutMs',
  'logRepeatIntervalMs',
]);

const BACKEND_METHODS = ['tierStore', 'tierLease', 'nextVersion', 'health', 'onHealthChange', 'whenReady', 'close'];
const REPOSITORY_METHODS = [
  'nextVersion',
  'serversForUser',
  'sharedServers',
  'get',
  'list',
  'usersOf',
  'principalsOf',
  'create',
  'updateConfig',
  'setGrants',
  'remove',
  'createGroup',
  'addMembers',
  'removeMembers',
  'removeGroup',
  'beginChange',
  'endChange',
  'claimStaleChanges',
];
const LOGGER_METHODS = ['error', 'warn', 'info', 'debug'];
const INSTANCE_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function hasMethods(value: unknown, methods: readonly string[]): boolean {
  return isRecord(value) && methods.every((method) => typeof value[method] === 'function');
}

function isRedisConnection(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const optionalString = (field: string): boolean => value[field] === undefined || typeof value[field] === 'string';
  const tls = value['tls'];
  if (!optionalString('username') || !optionalString('password')) return false;
  if (tls !== undefined && typeof tls !== 'boolean' && !isRecord(tls)) return false;
  if ('url' in value) return typeof value['url'] === 'string' && value['url'].length <= 2_048;
  const nodes = value['clusterNodes'];
  return (
    Array.isArray(nodes) &&
    nodes.length > 0 &&
    nodes.length <= 1_000 &&
    nodes.every(
      (node) =>
        isRecord(node) &&
        typeof node['host'] === 'string' &&
        node['host'].length <= 255 &&
        Number.isInteger(node['port']) &&
        (node['port'] as number) > 0 &&
        (node['port'] as number) < 65_536,
    )
  );
}

/**
 * The kinds of the options, before any value is used: an object, no unknown key, and each field
 * of the type it must have (objects with their methods, strings, functions), so a hostile value
 * is an `INVALID_OPTIONS` naming the field, never a TypeError from deep inside a component.
 */
function shapeIssues(options: unknown): FieldIssue[] {
  if (!isRecord(options)) return [{ path: '(options)', message: 'must be an object' }];
  const issues: FieldIssue[] = Object.keys(options)
    .filter((key) => !KNOWN_OPTIONS.has(key))
    .map((key) => ({ path: key.length > 64 ? `${key.slice(0, 64)}…` : key, message: 'is not an option' }));
  const check = (field: keyof StrataOptions, ok: (value: unknown) => boolean, message: string): void => {
    if (options[field] !== undefined && !ok(options[field])) issues.push({ path: field, message });
  };
  check(
    'redis',
    isRedisConnection,
    'must be { url } or { clusterNodes: [{ host, port }] }, with optional username, password and tls',
  );
  check(
    'backend',
    (value) => hasMethods(value, BACKEND_METHODS),
    'must be a backend (createMemoryBackend, createRedisBackend)',
  );
  check('keyPrefix', (value) => typeof value === 'string', 'must be a string');
  check('appServers', Array.isArray, 'must be an array of { name, config }');
  check('repository', (value) => hasMethods(value, REPOSITORY_METHODS), 'must be an AccessRepository');
  check('loader', (value) => typeof value === 'function', 'must be a function');
  check('logger', (value) => hasMethods(value, LOGGER_METHODS), 'must have error, warn, info and debug methods');
  check('clock', (value) => hasMethods(value, ['now']), 'must have a now() method');
  check(
    'instanceId',
    (value) => typeof value === 'string' && INSTANCE_ID_PATTERN.test(value),
    'must be 1-64 letters, digits, "_", ".", ":" or "-"',
  );
  for (const field of ['registry', 'privateTier', 'admin', 'connections', 'tools'] as const) {
    check(field, isRecord, 'must be an object');
  }
  return issues;
}
