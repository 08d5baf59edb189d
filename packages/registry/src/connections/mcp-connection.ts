import type { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type {
  StreamableHTTPClientTransport,
  StreamableHTTPReconnectionOptions,
} from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  McpError,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { StoredServer } from '../model/stored-server';
import { StrataError } from '@strata/config';
import { GuardedClient, toolPolicy } from './guarded-client';

/** What a connection is doing, readable by an API. */
export type ConnectionState =
  | { readonly state: 'connecting' }
  | { readonly state: 'connected' }
  | { readonly state: 'reconnecting'; readonly attempt: number }
  | { readonly state: 'error'; readonly reason: string }
  | { readonly state: 'closed' };

export interface McpConnectionHooks {
  /** The transport closed without `close()` being called (server crash, network). */
  onUnexpectedClose(connection: McpConnection): void;
  /** The server announced `notifications/tools/list_changed`. */
  onToolsChanged(connection: McpConnection): void;
}

/**
 * One live MCP client session, remembering the config version it was made with: it is stale as
 * soon as the registry holds a newer version (versions, never clocks).
 */
export class McpConnection {
  /** The SDK client, with the server's tool policy and `timeout` applied to every request. */
  readonly client: GuardedClient;
  private closing = false;
  private childPid: number | undefined;

  private constructor(
    readonly server: StoredServer,
    private readonly transport: Transport,
    private readonly hooks: McpConnectionHooks,
  ) {
    this.client = new GuardedClient(server.name, toolPolicy(server.config));
  }

  get name(): string {
    return this.server.name;
  }

  /** The config version this connection was made with. */
  get version(): number {
    return this.server.version;
  }

  /** The stdio child's PID, when there is one (kept after close, so callers can check it exited). */
  get pid(): number | undefined {
    return this.childPid;
  }

  /**
   * Connects (transport start + initialize handshake) within `timeoutMs` — the caller passes the
   * config's `initTimeout` when it has one — else `TIMEOUT`; on any failure nothing stays open. A
   * refusal by the outbound guard surfaces as itself (`ADDRESS_REFUSED`), anything else as
   * `CONNECT_FAILED`.
   */
  static async open(
    server: StoredServer,
    transport: Transport,
    hooks: McpConnectionHooks,
    timeoutMs: number,
  ): Promise<McpConnection> {
    const connection = new McpConnection(server, transport, hooks);
    // A child's stderr must be drained, or its pipe never closes and the child is never reaped.
    const stderr = (transport as Partial<StdioClientTransport>).stderr;
    if (stderr && 'resume' in stderr) (stderr as unknown as NodeJS.ReadableStream).resume();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StrataError('TIMEOUT', `"${server.name}" did not finish initializing within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([connection.client.connect(transport, { timeout: timeoutMs }), deadline]);
    } catch (error) {
      await connection.close();
      throw connectError(server.name, timeoutMs, error);
    } finally {
      clearTimeout(timer);
    }
    connection.childPid = (transport as Partial<StdioClientTransport>).pid ?? undefined;
    connection.client.setNotificationHandler(ToolListChangedNotificationSchema, () => hooks.onToolsChanged(connection));
    connection.client.onclose = () => {
      if (!connection.closing) hooks.onUnexpectedClose(connection);
    };
    return connection;
  }

  /** The server's tools that `tools.allow` / `tools.deny` let through. */
  async listTools(timeoutMs: number): Promise<Tool[]> {
    const result = await this.client.listTools(undefined, { timeout: timeoutMs });
    return result.tools;
  }

  /**
   * Calls a tool: refused before sending when the config's tool lists exclude it (`TOOL_DENIED`),
   * bounded by the config's `timeout` or `options.timeoutMs`, whichever is shorter (`TIMEOUT`).
   */
  async callTool(
    name: string,
    args: Record<string, unknown> = {},
    options: { readonly timeoutMs?: number; readonly signal?: AbortSignal } = {},
  ): Promise<CallToolResult> {
    const result = await this.client.callTool({ name, arguments: args }, undefined, {
      ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return result as CallToolResult;
  }

  /**
   * Ends the session: HTTP sessions are terminated on the server (DELETE, within
   * {@link TERMINATE_TIMEOUT_MS}), stdio children are ended; afterwards no timer or socket of this
   * connection is left. Also the path of renewal, `endSession`, idle close and removal.
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const http = this.transport as Partial<StreamableHTTPClientTransport>;
    if (typeof http.terminateSession === 'function' && http.sessionId) {
      // The DELETE makes the server end this session's event streams (the standalone GET and any
      // call's POST). The SDK client resumes an event stream that ends while its transport is not
      // yet aborted: one timer per stream, only the last of which its close() clears, each retried
      // (1 s, then 1.5 s) — a process lingered 2.5 s after close(). No resumption from here on.
      stopResumption(http);
      await withinDeadline(http.terminateSession(), TERMINATE_TIMEOUT_MS);
    }
    await this.client.close().catch(() => undefined); // aborts the transport: a DELETE past its deadline too
  }
}

/** How long `close()` waits for the server to answer the session's DELETE. */
export const TERMINATE_TIMEOUT_MS = 1_000;

/**
 * Makes the SDK's streamable-HTTP transport schedule no more stream resumptions: it reads
 * `maxRetries` from its reconnection options each time a stream ends (`_scheduleReconnection`),
 * and with 0 it reports the end through `onerror` instead of setting a timer. The options are not
 * reachable through the SDK's public surface; test/strata/process-exit.test.ts fails if an SDK
 * upgrade moves them (the process would linger again).
 */
function stopResumption(transport: Partial<StreamableHTTPClientTransport>): void {
  const internals = transport as { _reconnectionOptions?: StreamableHTTPReconnectionOptions };
  if (internals._reconnectionOptions)
    internals._reconnectionOptions = { ...internals._reconnectionOptions, maxRetries: 0 };
}

/** Waits for `work` (errors ignored) at most `timeoutMs`; the timer is always cleared. */
async function withinDeadline(work: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  try {
    await Promise.race([work.catch(() => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The typed error a failed open surfaces: its own when it already is one we name, else `CONNECT_FAILED`. */
function connectError(name: string, timeoutMs: number, error: unknown): StrataError {
  for (let cause: unknown = error, depth = 0; cause !== undefined && depth < 5; depth += 1) {
    if (cause instanceof StrataError && ['TIMEOUT', 'ADDRESS_REFUSED'].includes(cause.code)) return cause;
    if (cause instanceof McpError && cause.code === Number(ErrorCode.RequestTimeout)) {
      return new StrataError('TIMEOUT', `"${name}" did not finish initializing within ${timeoutMs} ms`, { cause });
    }
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return new StrataError('CONNECT_FAILED', `could not connect to "${name}": ${messageOf(error)}`, { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
