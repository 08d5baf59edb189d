import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * A `fetch` for the SDK's HTTP transports whose every socket is opened through `lookup` (Node's
 * global fetch takes no lookup): the outbound guard resolves the host, checks each address and
 * hands the checked address to the socket, so a DNS answer that changes between the check and the
 * connection (rebinding) is checked again instead of trusted. Redirects are never followed here
 * (the SDK follows same-origin ones by calling this fetch again, through the same lookup).
 */
export function guardedFetch(lookup: LookupFunction): FetchLike {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(typeof input === 'string' ? input : input.href);
      const signal = init?.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason instanceof Error ? signal.reason : new DOMException('aborted', 'AbortError'));
        return;
      }
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((value, key) => {
        headers[key] = value;
      });
      const body = init?.body;
      if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        reject(new TypeError('guardedFetch: only string and byte bodies are supported'));
        return;
      }
      const client = url.protocol === 'https:' ? https : http;
      const request = client.request(url, {
        method: init?.method ?? 'GET',
        headers,
        lookup,
        agent: false,
        ...(signal ? { signal } : {}),
      });
      request.once('error', reject);
      request.once('response', (response) => {
        const status = response.statusCode ?? 0;
        const responseHeaders = new Headers();
        for (const [key, value] of Object.entries(response.headers)) {
          if (Array.isArray(value)) value.forEach((item) => responseHeaders.append(key, item));
          else if (value !== undefined) responseHeaders.set(key, value);
        }
        const empty = status === 204 || status === 304 || init?.method === 'HEAD';
        if (empty) response.resume();
        resolve(
          new Response(empty ? null : (Readable.toWeb(response) as ReadableStream<Uint8Array>), {
            status,
            statusText: response.statusMessage ?? '',
            headers: responseHeaders,
          }),
        );
      });
      request.end(body ?? undefined);
    });
}
