import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { AnySchema, SchemaOutput } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { ErrorCode, McpError, type ClientRequest } from '@modelcontextprotocol/sdk/types.js';
import { StrataError, type ServerConfig } from '@strata/config';

/** A tool call named a tool the server's `tools.allow` / `tools.deny` exclude; it was never sent. */
export class ToolDeniedError extends StrataError {
  constructor(
    readonly server: string,
    readonly tool: string,
  ) {
    super('TOOL_DENIED', `tool "${tool}" of "${server}" is not allowed by its tools.allow / tools.deny`);
  }
}

/** What a server's config allows: which tools, and how long one request may take. */
export interface ToolPolicy {
  /** False for a tool `tools.deny` lists, or one `tools.allow` (when present) does not. */
  allows(tool: string): boolean;
  /** The config's `timeout`: the bound of every request (tool calls included), when set. */
  readonly requestTimeoutMs: number | undefined;
}

export function toolPolicy(config: ServerConfig): ToolPolicy {
  const allow = config.tools?.allow ? new Set(config.tools.allow) : undefined;
  const deny = new Set(config.tools?.deny ?? []);
  return {
    allows: (tool) => !deny.has(tool) && (allow === undefined || allow.has(tool)),
    requestTimeoutMs: config.timeout,
  };
}

/**
 * The SDK client with the server's policy applied where every request passes (`request`, which
 * `callTool`, `listTools` and the experimental task streams all go through):
 * - `tools/call` of a denied tool is refused (`TOOL_DENIED`) before anything is sent;
 * - `tools/list` answers only the allowed tools (so output-schema validators match too);
 * - every request is bounded by the config's `timeout` (a shorter per-call timeout still wins);
 *   running out is `TIMEOUT`, and the SDK sends the server `notifications/cancelled`.
 */
export class GuardedClient extends Client {
  constructor(
    private readonly serverName: string,
    private readonly policy: ToolPolicy,
  ) {
    super({ name: 'strata', version: '0.1.0' }, { capabilities: {} });
  }

  override request<T extends AnySchema>(
    request: ClientRequest,
    resultSchema: T,
    options?: RequestOptions,
  ): Promise<SchemaOutput<T>> {
    if (request.method === 'tools/call') {
      const params = request.params as { name?: unknown } | undefined;
      const tool = typeof params?.name === 'string' ? params.name : '';
      if (!this.policy.allows(tool)) return Promise.reject(new ToolDeniedError(this.serverName, tool));
    }
    // `initialize` is bounded by `initTimeout` (McpConnection.open), not by `timeout`.
    const limit = request.method === 'initialize' ? undefined : this.policy.requestTimeoutMs;
    const timeout = limit === undefined ? options?.timeout : Math.min(limit, options?.timeout ?? limit);
    const bounded: RequestOptions | undefined =
      timeout === undefined
        ? options
        : { ...options, timeout, maxTotalTimeout: Math.min(timeout, options?.maxTotalTimeout ?? timeout) };
    const sent = super.request(request, resultSchema, bounded).catch((error: unknown) => {
      if (error instanceof McpError && error.code === Number(ErrorCode.RequestTimeout)) {
        throw new StrataError(
          'TIMEOUT',
          `"${request.method}" to "${this.serverName}" took longer than ${timeout ?? 'the SDK default'} ms`,
          {
            cause: error,
          },
        );
      }
      throw error;
    });
    if (request.method !== 'tools/list') return sent;
    return sent.then((result) => {
      const listed = result as { tools?: Array<{ name: string }> };
      if (!Array.isArray(listed.tools)) return result;
      return { ...result, tools: listed.tools.filter((tool) => this.policy.allows(tool.name)) };
    });
  }
}
