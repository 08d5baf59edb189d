import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { LookupFunction } from 'node:net';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { ServerConfig } from '@strata/config';
import { perRequestFetch } from './per-request-fetch';
import { WsClientTransport } from './websocket-transport';

/** How a transport reaches the network. */
export interface TransportOptions {
  /**
   * The fetch under the HTTP transports (the outbound guard's, for user-supplied servers).
   * @defaultValue the global fetch
   */
  readonly fetch?: FetchLike;
  /**
   * How the WebSocket transport resolves its host (the outbound guard's checked lookup, for
   * user-supplied servers). @defaultValue the system resolver
   */
  readonly lookup?: LookupFunction;
}

/**
 * Makes the SDK transport for a config whose placeholders are already resolved (the connection
 * manager resolves them, per user, right before it calls this).
 */
export type TransportFactory = (config: ServerConfig, options: TransportOptions) => Transport;

export const createTransport: TransportFactory = (config, options) => {
  switch (config.type) {
    case 'stdio':
      return new StdioClientTransport({
        command: config.command,
        args: config.args ?? [],
        ...(config.env ? { env: { ...inheritedEnv(), ...config.env } } : {}),
        ...(config.cwd ? { cwd: config.cwd } : {}),
        stderr: 'pipe',
      });
    case 'streamable-http':
      return new StreamableHTTPClientTransport(new URL(config.url), {
        requestInit: { headers: config.headers ?? {} },
        fetch: perRequestFetch(options.fetch),
      });
    case 'sse':
      return new SSEClientTransport(new URL(config.url), {
        requestInit: { headers: config.headers ?? {} },
        fetch: perRequestFetch(options.fetch),
      });
    case 'websocket':
      return new WsClientTransport(new URL(config.url), options.lookup ? { lookup: options.lookup } : {});
  }
};

/** PATH and friends, so a configured `env` adds to the child's environment instead of replacing it. */
function inheritedEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'NODE_OPTIONS'];
  return Object.fromEntries(keep.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
}
