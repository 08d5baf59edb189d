import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { WebSocketClientTransport } from '@modelcontextprotocol/sdk/client/websocket.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type ServerConfig, resolvePlaceholders } from '@strata/config';
import { perRequestFetch } from './per-request-fetch';

/** Makes the SDK transport for a config, resolving `${VAR}` placeholders here and nowhere earlier. */
export type TransportFactory = (config: ServerConfig, env: Record<string, string | undefined>) => Transport;

export const createTransport: TransportFactory = (config, env) => {
  const resolved = resolvePlaceholders(config, env);
  switch (resolved.type) {
    case 'stdio':
      return new StdioClientTransport({
        command: resolved.command,
        args: resolved.args ?? [],
        ...(resolved.env ? { env: { ...inheritedEnv(), ...resolved.env } } : {}),
        ...(resolved.cwd ? { cwd: resolved.cwd } : {}),
        stderr: 'pipe',
      });
    case 'streamable-http':
      return new StreamableHTTPClientTransport(new URL(resolved.url), {
        requestInit: { headers: resolved.headers ?? {} },
        fetch: perRequestFetch(),
      });
    case 'sse':
      return new SSEClientTransport(new URL(resolved.url), {
        requestInit: { headers: resolved.headers ?? {} },
        fetch: perRequestFetch(),
      });
    case 'websocket':
      return new WebSocketClientTransport(new URL(resolved.url));
  }
};

/** PATH and friends, so a configured `env` adds to the child's environment instead of replacing it. */
function inheritedEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'LANG', 'TMPDIR', 'NODE_OPTIONS'];
  return Object.fromEntries(keep.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
}
