import type { Logger } from '../runtime/logger';
import type { ConnectionScope } from '@strata/config';
import type { ServerSource } from '../model/server-source';
import type { ChangeBus } from '../bus/change-bus';
import type { Clock } from '../runtime/clock';
import type { ToolsCache } from '../stores/tools-cache';
import type { TransportFactory } from './transport-factory';
import type { OutboundGuardOptions } from './outbound-guard';

/** Rules for servers users supplied (`origin: 'user'`). */
export interface UserServerOptions extends OutboundGuardOptions {
  /** Let user-supplied servers run a local command (LibreChat refuses it). @defaultValue false */
  readonly allowStdio?: boolean;
}

export type { ConnectionScope };

export interface ReconnectOptions {
  /** First delay. @defaultValue 200 */
  readonly baseDelayMs: number;
  /** Cap of the exponential delay. @defaultValue 5000 */
  readonly maxDelayMs: number;
  /** Attempts before the status turns to error. @defaultValue 5 */
  readonly maxAttempts: number;
}

export interface ConnectionManagerOptions {
  /** Where servers are looked up (the registry). */
  readonly registry: ServerSource;
  /** Names this instance in events and logs. @defaultValue a random id */
  readonly instanceId?: string;
  readonly bus: ChangeBus;
  readonly toolsCache: ToolsCache;
  /** Values for `${VAR}` placeholders of operator configs, resolved only here (never for user-supplied ones). @defaultValue process.env */
  readonly env?: Record<string, string | undefined>;
  readonly transportFactory?: TransportFactory;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Outbound-address guard and stdio rule for user-supplied servers. */
  readonly userServers?: UserServerOptions;
  /** Deadline of connect + initialize (a server's `initTimeout` replaces it) and of tools/list. @defaultValue 10000 */
  readonly connectTimeoutMs?: number;
  /** A connection unused this long is closed. @defaultValue 300000 */
  readonly idleTimeoutMs?: number;
  /** Connections in all scopes. @defaultValue 200 */
  readonly maxConnections?: number;
  /** Connections of one user (user and session scopes). @defaultValue 20 */
  readonly maxPerUser?: number;
  readonly reconnect?: Partial<ReconnectOptions>;
  /** After a failed connect, `get` answers with the same error this long without trying again. @defaultValue 5000 */
  readonly negativeTtlMs?: number;
}

export const DEFAULT_CONNECTION_OPTIONS = {
  connectTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  maxConnections: 200,
  maxPerUser: 20,
  reconnect: { baseDelayMs: 200, maxDelayMs: 5_000, maxAttempts: 5 },
  negativeTtlMs: 5_000,
} as const;

/** Stable map key of a (scope, server): NUL cannot occur in validated names or ids. */
export function connectionKey(scope: ConnectionScope, name: string): string {
  switch (scope.kind) {
    case 'app':
      return `app\0${name}`;
    case 'user':
      return `user\0${scope.userId}\0${name}`;
    case 'session':
      return `session\0${scope.userId}\0${scope.sessionId}\0${name}`;
  }
}
