import type { LookupFunction } from 'node:net';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import WebSocket from 'ws';

/** The WebSocket subprotocol MCP uses (the SDK's `WebSocketClientTransport` asks for the same). */
const SUBPROTOCOL = 'mcp';

/** Options of {@link WsClientTransport}. */
export interface WsClientTransportOptions {
  /**
   * Resolves the host for the socket (the outbound guard's checked lookup, for user-supplied
   * servers): the address is checked when the socket opens, not only before.
   */
  readonly lookup?: LookupFunction;
  /** Largest message accepted from the server, in bytes. @defaultValue 16 MiB */
  readonly maxPayload?: number;
}

/**
 * MCP over WebSocket on the `ws` library. The SDK's `WebSocketClientTransport` needs a global
 * `WebSocket`, which Node 20 does not have (it threw `WebSocket is not defined`), and it cannot
 * take a lookup, so a user-supplied server's address could only be checked before connecting
 * (DNS rebinding). This one never follows redirects and opens its socket through `lookup`.
 * Connect deadlines are the connection manager's (`initTimeout`), which closes the transport.
 */
export class WsClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private socket: WebSocket | undefined;

  constructor(
    private readonly url: URL,
    private readonly options: WsClientTransportOptions = {},
  ) {}

  start(): Promise<void> {
    if (this.socket) throw new Error('WsClientTransport already started');
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url, SUBPROTOCOL, {
        followRedirects: false,
        maxPayload: this.options.maxPayload ?? 16 * 1_048_576,
        ...(this.options.lookup ? { lookup: this.options.lookup } : {}),
      });
      this.socket = socket;
      let opened = false;
      socket.on('open', () => {
        opened = true;
        resolve();
      });
      socket.on('error', (error) => {
        if (!opened) reject(error);
        this.onerror?.(error);
      });
      socket.on('close', () => {
        if (!opened) reject(new Error('the WebSocket closed before it opened'));
        this.onclose?.();
      });
      socket.on('message', (data, isBinary) => {
        let message: JSONRPCMessage;
        try {
          if (isBinary) throw new Error('binary WebSocket message: MCP messages are text');
          message = JSONRPCMessageSchema.parse(JSON.parse(rawText(data)));
        } catch (error) {
          this.onerror?.(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        this.onmessage?.(message);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const socket = this.socket;
    if (socket?.readyState !== WebSocket.OPEN) return Promise.reject(new Error('Not connected'));
    return new Promise((resolve, reject) => {
      socket.send(JSON.stringify(message), (error) => (error ? reject(error) : resolve()));
    });
  }

  close(): Promise<void> {
    const socket = this.socket;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close();
      // A peer that never answers the closing handshake: ws ends the socket after its own 30 s;
      // do not keep the caller (or the process) that long.
      setTimeout(() => {
        socket.terminate();
        resolve();
      }, 1_000).unref();
    });
  }
}

function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
}
