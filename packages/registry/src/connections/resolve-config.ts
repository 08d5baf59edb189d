import {
  USER_API_KEY_VARIABLE,
  resolvePlaceholders,
  resolveUserPlaceholders,
  usesPerUserPlaceholders,
  type ServerConfig,
  type UserContext,
} from '@strata/config';
import type { ServerOrigin } from '../model/stored-server';
import type { UserConnectContext } from './user-context';

/**
 * True when connecting this server needs a user: a per-user placeholder (`LIBRECHAT_USER_*`, a
 * `customUserVars` entry, a VS Code `${input:…}`) or an `apiKey` whose source is the user. Such a
 * server is never connected with app scope, and its tool list is cached per user. `@strata/config`'s
 * rule, so the API, the browser form and the connection layer agree on what is per user.
 */
export { usesPerUserPlaceholders };

export interface ResolveConfigInput {
  /** `user`: the config was written by a user; `${VAR}` is refused, never read from `env`. */
  readonly origin: ServerOrigin;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user the connection is made for; absent in app scope. */
  readonly context?: UserConnectContext;
}

/**
 * The config a transport is built from, resolved by `@strata/config` in its documented order:
 * `${VAR}` from `env` first (`resolvePlaceholders`; a user-supplied config is marked so and any
 * `${VAR}` in it is refused), then the per-user placeholders and the `apiKey` header
 * (`resolveUserPlaceholders`), so a user's value is never expanded from the environment and one
 * implementation decides what a placeholder is. The user's own key is `context.apiKey`, else
 * `context.vars.MCP_API_KEY`.
 *
 * Throws `UnresolvedPlaceholderError` (a per-user value is missing, or there is no user),
 * `ValidationError('INVALID_CONFIG')` (a `${VAR}` without a value, any `${VAR}` in a user-supplied
 * config, a URL that is no URL once resolved); messages name fields and variables, never values.
 */
export function resolveConnectionConfig(config: ServerConfig, input: ResolveConfigInput): ServerConfig {
  const marked: ServerConfig = input.origin === 'user' ? { ...config, userSupplied: true } : config;
  const withEnv = resolvePlaceholders(marked, input.env);
  const context = input.context;
  const user: UserContext | undefined = context ? { ...context.user } : undefined;
  const vars: Record<string, string | undefined> = { ...context?.vars };
  if (context?.apiKey !== undefined) vars[USER_API_KEY_VARIABLE] = context.apiKey;
  const resolved = resolveUserPlaceholders(withEnv, user, vars);
  if (input.origin === 'user' && config.userSupplied !== true) delete resolved.userSupplied;
  return resolved;
}
