import type { ServerConfig } from './server-config';

/** Option, variable and header names whose value is a credential (`--api-key`, `GITHUB_TOKEN`, `X-Api-Key`). */
export const SECRET_NAME =
  /token|secret|passw(?:or)?d|passphrase|pwd|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth|bearer|cookie|session[-_]?id|(?:^|[-_])key$|^pat$/i;

/** Header names that carry credentials: `Authorization`, `Proxy-Authorization`, `Cookie`, anything with token/key/secret/auth/session/password. */
const SECRET_HEADER = /auth|token|key|secret|cookie|session|passw|credential|signature|bearer/i;

/** Whether a header's value is a credential, judged by its name (case-insensitive). */
export function isSecretHeaderName(name: string): boolean {
  return SECRET_HEADER.test(name);
}

/**
 * Dotted paths (relative to the config) of every field whose value is a secret, for masking in
 * forms, listings and logs: credential headers and OAuth headers, `oauth.client_secret`,
 * `apiKey.key`, and env variables with a credential-looking name.
 */
export function secretFieldPaths(config: ServerConfig): string[] {
  const paths: string[] = [];
  const headers = config.type === 'streamable-http' || config.type === 'sse' ? config.headers : undefined;
  for (const name of Object.keys(headers ?? {})) if (isSecretHeaderName(name)) paths.push(`headers.${name}`);
  for (const name of Object.keys(config.oauth_headers ?? {})) {
    if (isSecretHeaderName(name)) paths.push(`oauth_headers.${name}`);
  }
  if (config.oauth?.client_secret !== undefined) paths.push('oauth.client_secret');
  if (config.apiKey?.key !== undefined) paths.push('apiKey.key');
  if (config.type === 'stdio') {
    for (const name of Object.keys(config.env ?? {})) if (SECRET_NAME.test(name)) paths.push(`env.${name}`);
  }
  return paths;
}
