import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * The SDK's HTTP transports pass one long-lived AbortSignal to every fetch, and Node's fetch adds
 * an abort listener to it per request that only garbage collection removes: a busy connection
 * collects thousands (MaxListenersExceededWarning, memory growth). This fetch gives each request
 * its own signal, linked to the shared one until the response body has been read (or cancelled),
 * so closing the connection still aborts a request or a stream in progress.
 */
export function perRequestFetch(base: FetchLike = fetch): FetchLike {
  return async (url, init) => {
    const shared = init?.signal;
    if (!shared) return base(url, init);
    const controller = new AbortController();
    const forward = (): void => controller.abort(shared.reason);
    const unlink = (): void => shared.removeEventListener('abort', forward);
    if (shared.aborted) forward();
    else shared.addEventListener('abort', forward, { once: true });
    let response: Response;
    try {
      response = await base(url, { ...init, signal: controller.signal });
    } catch (error) {
      unlink();
      throw error;
    }
    if (!response.body) {
      unlink();
      return response;
    }
    const reader: ReadableStreamDefaultReader<Uint8Array> = (response.body as ReadableStream<Uint8Array>).getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(stream) {
        try {
          const chunk = (await reader.read()) as { done: boolean; value?: Uint8Array };
          const { done, value } = chunk;
          if (done || value === undefined) {
            unlink();
            stream.close();
          } else {
            stream.enqueue(value);
          }
        } catch (error) {
          unlink();
          stream.error(error);
        }
      },
      cancel(reason) {
        unlink();
        return reader.cancel(reason);
      },
    });
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
