import { randomBytes } from 'node:crypto';
import type { StoredServer } from '../model/stored-server';
import {
  checkIntegerRanges,
  RESERVED_WORDS,
  StrataError,
  ValidationError,
  assertServerName,
  assertUserId,
  type ServerConfig,
} from '@strata/config';
import { describeError, silentLogger, type Logger } from '../runtime/logger';
import { contentHash } from '../runtime/content-hash';
import type { ToolsOwner } from '../stores/tools-cache';
import type { ChangeEvent } from '../model/change-event';
import { systemClock, type Clock } from '../runtime/clock';
import {
  connectionKey,
  DEFAULT_CONNECTION_OPTIONS,
  type ConnectionManagerOptions,
  type ConnectionScope,
  type ReconnectOptions,
} from './connection-options';
import { McpConnection, type ConnectionState } from './mcp-connection';
import { createTransport, type TransportFactory } from './transport-factory';
import { guardedFetch } from './guarded-fetch';
import { OutboundGuard } from './outbound-guard';
import { resolveConnectionConfig, usesPerUserPlaceholders } from './resolve-config';
import type { UserConnectContext } from './user-context';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

interface Slot {
  readonly key: string;
  readonly scope: ConnectionScope;
  readonly name: string;
  connection: McpConnection | undefined;
  pending: Promise<McpConnection> | undefined;
  state: ConnectionState;
  lastUsed: number;
  reconnectTimer: NodeJS.Timeout | undefined;
  /** The last connect failure, answered again without a new attempt until `negativeTtlMs` passes. */
  failure: { readonly at: number; readonly version: number; readonly error: unknown } | undefined;
  /** The user context of the last `get` that gave one (reconnects and renewals reuse it). */
  context: UserConnectContext | undefined;
  /** Hash of the resolved config the connection was made with: a user's changed variables renew it. */
  fingerprint: string | undefined;
}

/** A transport ready to open, and what it was built from. */
interface PreparedConnection {
  readonly transport: Transport;
  readonly fingerprint: string;
}

/** A connection changed state (see {@link ConnectionManager.onStateChange}). */
export interface ConnectionStateChange {
  readonly scope: ConnectionScope;
  readonly name: string;
  readonly state: ConnectionState;
}
export type ConnectionStateListener = (change: ConnectionStateChange) => void;

/** One connection of this instance, as `connections.status()` lists it. */
export interface ConnectionStatus {
  readonly scope: ConnectionScope;
  readonly name: string;
  readonly version: number | undefined;
  readonly status: ConnectionState;
}

/**
 * Live MCP connections for app, user and chat-session scopes: single-flight connect, renewal when
 * the registry holds a newer config version (lazily on `get`, eagerly on bus events), closed when
 * the server is removed or the user loses it, idle timeout, caps, reconnect with backoff and jitter.
 */
export class ConnectionManager {
  readonly instanceId: string;
  private readonly stateListeners = new Set<ConnectionStateListener>();
  private readonly slots = new Map<string, Slot>();
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly env: Record<string, string | undefined>;
  private readonly transportFactory: TransportFactory;
  private readonly connectTimeoutMs: number;
  private readonly idleTimeoutMs: number;
  private readonly maxConnections: number;
  private readonly maxPerUser: number;
  private readonly reconnect: ReconnectOptions;
  private readonly negativeTtlMs: number;
  private readonly unsubscribe: () => void;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly guard: OutboundGuard;
  private closed = false;

  constructor(private readonly options: ConnectionManagerOptions) {
    checkIntegerRanges(options, [
      ['connectTimeoutMs', 10, 600_000],
      ['idleTimeoutMs', 10, 86_400_000],
      ['maxConnections', 1, 100_000],
      ['maxPerUser', 1, 10_000],
      ['negativeTtlMs', 0, 3_600_000],
    ]);
    this.instanceId = options.instanceId ?? randomBytes(6).toString('hex');
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.env = options.env ?? process.env;
    this.transportFactory = options.transportFactory ?? createTransport;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECTION_OPTIONS.connectTimeoutMs;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_CONNECTION_OPTIONS.idleTimeoutMs;
    this.maxConnections = options.maxConnections ?? DEFAULT_CONNECTION_OPTIONS.maxConnections;
    this.maxPerUser = options.maxPerUser ?? DEFAULT_CONNECTION_OPTIONS.maxPerUser;
    this.reconnect = { ...DEFAULT_CONNECTION_OPTIONS.reconnect, ...options.reconnect };
    this.negativeTtlMs = options.negativeTtlMs ?? DEFAULT_CONNECTION_OPTIONS.negativeTtlMs;
    this.guard = new OutboundGuard(options.userServers);
    this.unsubscribe = options.bus.subscribe((event) => this.onEvent(event));
    this.idleTimer = setInterval(() => void this.closeIdle(), Math.max(10, Math.min(this.idleTimeoutMs / 4, 30_000)));
    this.idleTimer.unref();
  }

  /**
   * The live connection for (scope, server), made or renewed as needed. `context` (user and
   * session scopes) is who the user is and their variables for this server: `{{…}}` placeholders
   * and an `apiKey: { source: user }` are resolved from it when the connection is made; a
   * connection whose resolved config differs from the one it was made with is renewed.
   */
  async get(scope: ConnectionScope, name: string, context?: UserConnectContext): Promise<McpConnection> {
    if (this.closed) throw new StrataError('CLOSED', 'the connection manager is closed');
    assertScope(scope);
    assertServerName(name);
    if (context !== undefined) assertContext(scope, context);
    const server = await this.resolve(scope, name);
    const key = connectionKey(scope, name);
    let slot = this.slots.get(key);
    if (slot && context) slot.context = context;
    if (slot?.connection && slot.connection.version >= server.version && slot.state.state === 'connected') {
      if (!context || !usesPerUserPlaceholders(server.config) || slot.fingerprint === this.fingerprint(server, slot)) {
        slot.lastUsed = this.clock.now();
        return slot.connection;
      }
    }
    if (slot?.pending) return slot.pending;
    const failure = slot?.failure;
    if (failure && failure.version === server.version && this.clock.now() - failure.at < this.negativeTtlMs) {
      throw failure.error; // a broken server answers at once instead of making every request wait
    }
    if (!slot) {
      this.checkCapacity(scope);
      slot = {
        key,
        scope,
        name,
        connection: undefined,
        pending: undefined,
        state: { state: 'connecting' },
        lastUsed: this.clock.now(),
        reconnectTimer: undefined,
        failure: undefined,
        context,
        fingerprint: undefined,
      };
      this.slots.set(key, slot);
    }
    return this.connect(slot, server);
  }

  /** Status of every connection (for an API). */
  status(): ConnectionStatus[] {
    return [...this.slots.values()].map((slot) => ({
      scope: slot.scope,
      name: slot.name,
      version: slot.connection?.version,
      status: slot.state,
    }));
  }

  /** Calls `listener` on every state change of every connection; returns the function that removes it. */
  onStateChange(listener: ConnectionStateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Ends a chat session: its per-session connections close (stdio children end). */
  async endSession(userId: string, sessionId: string): Promise<void> {
    assertScope({ kind: 'session', userId, sessionId });
    const closing = [...this.slots.values()].filter(
      (slot) => slot.scope.kind === 'session' && slot.scope.userId === userId && slot.scope.sessionId === sessionId,
    );
    await Promise.all(closing.map((slot) => this.dispose(slot)));
  }

  /** Closes everything: no child process, socket, timer or listener survives. */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    clearInterval(this.idleTimer);
    await Promise.all([...this.slots.values()].map((slot) => this.dispose(slot)));
    this.stateListeners.clear();
  }

  private setState(slot: Slot, state: ConnectionState): void {
    slot.state = state;
    for (const listener of this.stateListeners) {
      try {
        listener({ scope: slot.scope, name: slot.name, state });
      } catch (error) {
        this.logger.error('connections: a state listener failed', describeError(error));
      }
    }
  }

  private async resolve(scope: ConnectionScope, name: string): Promise<StoredServer> {
    const userId = scope.kind === 'app' ? undefined : scope.userId;
    const server = await this.options.registry.getServer(name, userId === undefined ? {} : { userId });
    if (!server)
      throw new StrataError('NOT_FOUND', `no server "${name}" for this ${scope.kind === 'app' ? 'app' : 'user'}`);
    const { config } = server;
    if (scope.kind === 'app' && (config.requiresOAuth || config.startup === false || config.perSession)) {
      throw new StrataError(
        'SCOPE_REFUSED',
        `"${name}" needs a user or session scope (requiresOAuth, startup: false or perSession)`,
      );
    }
    if (scope.kind !== 'session' && config.perSession) {
      throw new StrataError('SCOPE_REFUSED', `"${name}" is perSession: get it with a session scope`);
    }
    if (scope.kind === 'app' && usesPerUserPlaceholders(config)) {
      throw new StrataError(
        'SCOPE_REFUSED',
        `"${name}" uses per-user placeholders or a user's API key: its connections are per user (user or session scope)`,
      );
    }
    return server;
  }

  /**
   * Who wrote the server: the app tier is the operator's; a database server is a user's when it
   * says so (`origin: 'user'`, or a config marked `userSupplied` by the user-supplied schema).
   */
  private originOf(server: StoredServer): 'operator' | 'user' {
    if (server.tier === 'app') return 'operator';
    const marked = server.config.userSupplied === true;
    return server.origin === 'user' || marked ? 'user' : 'operator';
  }

  /** The config as the transport will get it (placeholders resolved, `apiKey` header added). */
  private resolvedConfig(server: StoredServer, slot: Slot): ServerConfig {
    return resolveConnectionConfig(server.config, {
      origin: this.originOf(server),
      env: this.env,
      ...(slot.scope.kind === 'app' || !slot.context ? {} : { context: slot.context }),
    });
  }

  private fingerprint(server: StoredServer, slot: Slot): string | undefined {
    try {
      return contentHash(this.resolvedConfig(server, slot));
    } catch {
      return undefined; // cannot resolve any more: renew, and let the connect report why
    }
  }

  /**
   * Resolves the config for this slot's user and builds its transport. A user-supplied server
   * never gets a `${VAR}` from the environment, may not run a command (unless the operator allows
   * it), and reaches the network only through the outbound guard: its host is resolved and
   * checked now (`ADDRESS_REFUSED`), and every socket its transport opens (HTTP or WebSocket) is
   * checked again at connect time through the guard's lookup.
   */
  private async prepare(server: StoredServer, slot: Slot): Promise<PreparedConnection> {
    const resolved = this.resolvedConfig(server, slot);
    const fingerprint = contentHash(resolved);
    if (this.originOf(server) === 'operator') {
      return { transport: this.transportFactory(resolved, {}), fingerprint };
    }
    if (resolved.type === 'stdio') {
      if (!this.options.userServers?.allowStdio) {
        throw new ValidationError('INVALID_CONFIG', [
          { path: 'type', message: 'a user-supplied server may not run a local command (stdio)' },
        ]);
      }
      return { transport: this.transportFactory(resolved, {}), fingerprint };
    }
    await this.guard.check(resolved.url);
    const network = { fetch: guardedFetch(this.guard.lookup), lookup: this.guard.lookup };
    return { transport: this.transportFactory(resolved, network), fingerprint };
  }

  /** Whose tool list a connection writes: one per user for a server whose connection depends on the user. */
  private toolsOwner(slot: Slot, server: StoredServer): ToolsOwner {
    return slot.scope.kind !== 'app' && usesPerUserPlaceholders(server.config) ? { userId: slot.scope.userId } : {};
  }

  private checkCapacity(scope: ConnectionScope): void {
    if (this.slots.size >= this.maxConnections) {
      throw new StrataError('CAPACITY', `connection limit reached (${this.maxConnections})`);
    }
    if (scope.kind !== 'app') {
      const mine = [...this.slots.values()].filter(
        (slot) => slot.scope.kind !== 'app' && slot.scope.userId === scope.userId,
      );
      if (mine.length >= this.maxPerUser)
        throw new StrataError('CAPACITY', `per-user connection limit reached (${this.maxPerUser})`);
    }
  }

  private connect(slot: Slot, server: StoredServer): Promise<McpConnection> {
    const previous = slot.connection;
    slot.connection = undefined;
    this.setState(slot, { state: 'connecting' });
    const owner = this.toolsOwner(slot, server);
    const pending = (async () => {
      if (previous) await previous.close(); // stale: the old session ends before the new one starts
      const timeoutMs = server.config.initTimeout ?? this.connectTimeoutMs;
      const started = this.clock.now();
      const prepared = await this.prepare(server, slot);
      const connection = await McpConnection.open(
        server,
        prepared.transport,
        {
          onUnexpectedClose: (closed) => this.onUnexpectedClose(slot, closed),
          onToolsChanged: (changed) => void this.refreshTools(changed, owner),
        },
        Math.max(1, timeoutMs - (this.clock.now() - started)),
      );
      slot.fingerprint = prepared.fingerprint;
      if (this.slots.get(slot.key) !== slot || this.closed) {
        await connection.close(); // disposed while connecting
        throw new StrataError('CLOSED', `connection to "${server.name}" was closed while connecting`);
      }
      slot.connection = connection;
      slot.failure = undefined;
      this.setState(slot, { state: 'connected' });
      slot.lastUsed = this.clock.now();
      await this.refreshTools(connection, owner);
      return connection;
    })();
    slot.pending = pending;
    pending.then(
      () => {
        if (slot.pending === pending) slot.pending = undefined;
      },
      (error: unknown) => {
        if (slot.pending === pending) slot.pending = undefined;
        if (this.slots.get(slot.key) === slot) this.setState(slot, { state: 'error', reason: reasonOf(error) });
        // A missing user value is the caller's to fix (the next get may bring it): not remembered.
        if (!(error instanceof StrataError && error.code === 'UNRESOLVED_PLACEHOLDER')) {
          slot.failure = { at: this.clock.now(), version: server.version, error };
        }
        void this.options.toolsCache
          .setError(server.name, server.version, reasonOf(error), owner)
          .catch(() => undefined);
      },
    );
    return pending;
  }

  private async refreshTools(connection: McpConnection, owner: ToolsOwner): Promise<void> {
    try {
      const tools = await connection.listTools(this.connectTimeoutMs);
      await this.options.toolsCache.set(connection.name, connection.version, tools, owner);
    } catch (error) {
      this.logger.warn('connections: tools/list failed', { server: connection.name, ...describeError(error) });
    }
  }

  private onUnexpectedClose(slot: Slot, closed: McpConnection): void {
    if (slot.connection !== closed || this.closed) return;
    slot.connection = undefined;
    this.scheduleReconnect(slot, 1);
  }

  private scheduleReconnect(slot: Slot, attempt: number): void {
    if (this.slots.get(slot.key) !== slot || this.closed) return;
    if (attempt > this.reconnect.maxAttempts) {
      this.setState(slot, {
        state: 'error',
        reason: `server unreachable after ${this.reconnect.maxAttempts} reconnect attempts`,
      });
      return;
    }
    this.setState(slot, { state: 'reconnecting', attempt });
    const exponential = Math.min(this.reconnect.maxDelayMs, this.reconnect.baseDelayMs * 2 ** (attempt - 1));
    const delay = Math.round(exponential / 2 + Math.random() * (exponential / 2)); // "equal jitter"
    slot.reconnectTimer = setTimeout(() => {
      slot.reconnectTimer = undefined;
      void this.resolve(slot.scope, slot.name)
        .then((server) => this.connect(slot, server))
        .then(
          () => undefined,
          () => this.scheduleReconnect(slot, attempt + 1),
        );
    }, delay);
    slot.reconnectTimer.unref();
  }

  /** Eager renewal: re-check the connections an event concerns. */
  private onEvent(event: ChangeEvent): void {
    if (this.closed) return;
    const users = event.type === 'users.invalidated' ? new Set(event.userIds) : undefined;
    const affected = [...this.slots.values()].filter((slot) => {
      if (event.type === 'server.put' || event.type === 'server.removed') return slot.name === event.name;
      if (event.type === 'tier.replaced') return true;
      if (users) return slot.scope.kind !== 'app' && users.has(slot.scope.userId);
      return false;
    });
    // Re-check once every listener of this event has run: the registry's own listener invalidates
    // its near cache for the same event, and a re-check that read before it would see the old version.
    if (affected.length > 0) queueMicrotask(() => affected.forEach((slot) => void this.recheck(slot)));
  }

  private async recheck(slot: Slot): Promise<void> {
    try {
      const server = await this.resolve(slot.scope, slot.name);
      if (slot.connection && slot.connection.version < server.version && !slot.pending) {
        await this.connect(slot, server);
      }
    } catch (error) {
      if (error instanceof StrataError && (error.code === 'NOT_FOUND' || error.code === 'SCOPE_REFUSED')) {
        await this.dispose(slot); // removed or revoked: close it
        return;
      }
      this.logger.warn('connections: re-check failed', { server: slot.name, ...describeError(error) });
    }
  }

  private async closeIdle(): Promise<void> {
    const now = this.clock.now();
    const idle = [...this.slots.values()].filter((slot) => !slot.pending && now - slot.lastUsed >= this.idleTimeoutMs);
    await Promise.all(idle.map((slot) => this.dispose(slot)));
  }

  private async dispose(slot: Slot): Promise<void> {
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
    clearTimeout(slot.reconnectTimer);
    this.setState(slot, { state: 'closed' });
    const connection = slot.connection;
    slot.connection = undefined;
    await connection?.close();
    await slot.pending?.then((late) => late.close()).catch(() => undefined);
  }
}

function assertScope(scope: ConnectionScope): void {
  const kind: unknown = typeof scope === 'object' && scope !== null ? scope.kind : undefined;
  if (kind !== 'app' && kind !== 'user' && kind !== 'session') {
    throw new ValidationError('INVALID_OPTIONS', [
      { path: 'scope.kind', message: 'must be "app", "user" or "session"' },
    ]);
  }
  if (scope.kind === 'app') return;
  assertUserId(scope.userId, 'scope.userId');
  if (
    scope.kind === 'session' &&
    (typeof scope.sessionId !== 'string' ||
      !/^[A-Za-z0-9_.:-]{1,128}$/.test(scope.sessionId) ||
      RESERVED_WORDS.has(scope.sessionId))
  ) {
    throw new ValidationError('INVALID_OPTIONS', [
      { path: 'scope.sessionId', message: 'must be 1-128 letters, digits, "_", ".", ":" or "-", not a reserved word' },
    ]);
  }
}

/** A context is for the scope's own user: a connection never carries anyone else's identity. */
function assertContext(scope: ConnectionScope, context: UserConnectContext): void {
  if (scope.kind === 'app') {
    throw new ValidationError('INVALID_OPTIONS', [
      { path: 'context', message: 'app-scope connections are made without a user' },
    ]);
  }
  if (context.user.id !== scope.userId) {
    throw new ValidationError('INVALID_OPTIONS', [{ path: 'context.user.id', message: "must be the scope's userId" }]);
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
