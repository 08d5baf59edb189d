import { problemFrom } from './problem';

/** JSON calls to the API with the bearer token; error answers throw {@link ApiProblem}. */
export interface ApiClient {
  readonly token: string;
  get<T>(path: string): Promise<T>;
  send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T>;
}

export function createApiClient(token: string, base = ''): ApiClient {
  async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw await problemFrom(response);
    if (response.status === 204) return undefined as T;
    return (await response.json()) as T;
  }
  return {
    token,
    get: (path) => request('GET', path),
    send: (method, path, body) => request(method, path, body),
  };
}

/** POST /api/auth/dev-login: a token for a username (only when the server enables the dev sign-in). */
export async function devLogin(username: string, base = ''): Promise<{ token: string }> {
  const response = await fetch(`${base}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username }),
  });
  if (!response.ok) throw await problemFrom(response);
  return (await response.json()) as { token: string };
}

export const enc = encodeURIComponent;
