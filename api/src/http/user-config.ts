import { parseUserServerConfig, type ServerConfig } from '@strata/config';

/**
 * A config a user (not an admin) supplies goes through `@strata/config`'s user-supplied schema:
 * remote transports only, no `${VAR}` (it would read the server's environment), no literal
 * loopback, private or metadata host; the result is marked `userSupplied`, so nothing resolves the
 * environment into it later and the connection layer applies the outbound-address guard. Field
 * paths start with `config`, like the browser form's.
 */
export function parseUserSuppliedConfig(input: unknown): ServerConfig {
  return parseUserServerConfig(input, { pathPrefix: 'config' });
}
