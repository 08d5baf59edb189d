import { UnresolvedPlaceholderError, ValidationError, type ServerConfig } from '@strata/config';
import type { ServerOrigin } from '../model/stored-server';
import {
  USER_API_KEY_VARIABLE,
  USER_PLACEHOLDER_FIELDS,
  type ConnectionConfig,
  type ConnectionUser,
  type UserConnectContext,
} from './user-context';

/**
 * `${VAR}` (the server's environment, operator configs only) and `{{NAME}}` (per user: a
 * `LIBRECHAT_USER_*` field or a `customUserVars` entry), matched in ONE pass: a replacement is
 * never scanned again, so a user's value holding `${JWT_SECRET}` stays that text.
 */
const ANY_PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;
const USER_PLACEHOLDER = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/;
const USER_FIELD_PREFIX = 'LIBRECHAT_USER_';
const USER_FIELD_BY_SUFFIX: ReadonlyMap<string, keyof ConnectionUser> = new Map(
  USER_PLACEHOLDER_FIELDS.map((field) => [field.toUpperCase(), field]),
);
/** A value put into a header or a child's argument may not break it into two. */
const UNSAFE_VALUE = /[\r\n\0]/;

/** A per-user placeholder has no value for this user (or no user was given): nothing is sent. */
function unresolvedPlaceholder(field: string, variable: string, reason: string): UnresolvedPlaceholderError {
  return new UnresolvedPlaceholderError([{ path: field, variable, message: `{{${variable}}} ${reason}` }]);
}

/** A string field of a config where placeholders are resolved. */
interface Field {
  readonly path: string;
  readonly value: string;
  /** URL fields get each replacement percent-encoded, so a value cannot change the host or path. */
  readonly url: boolean;
}

function fields(config: ConnectionConfig): Field[] {
  const record = (name: string, values: Readonly<Record<string, string>> | undefined): Field[] =>
    Object.entries(values ?? {}).map(([key, value]) => ({ path: `${name}.${key}`, value, url: false }));
  const apiKey =
    config.apiKey?.source === 'admin' && typeof config.apiKey.key === 'string'
      ? [{ path: 'apiKey.key', value: config.apiKey.key, url: false }]
      : [];
  if (config.type === 'stdio') {
    return [
      { path: 'command', value: config.command, url: false },
      ...(config.args ?? []).map((value, index) => ({ path: `args.${index}`, value, url: false })),
      ...record('env', config.env),
      ...(config.cwd === undefined ? [] : [{ path: 'cwd', value: config.cwd, url: false }]),
      ...apiKey,
    ];
  }
  const url = { path: 'url', value: config.url, url: true };
  const headers = config.type === 'websocket' ? [] : record('headers', config.headers);
  return [url, ...headers, ...apiKey];
}

/**
 * True when connecting this server needs a user: a `{{…}}` placeholder in any field, or an
 * `apiKey` whose source is the user. Such a server is never connected with app scope, and its
 * tool list is cached per user.
 */
export function usesPerUserPlaceholders(config: ServerConfig): boolean {
  const connection = config as ConnectionConfig;
  if (connection.apiKey?.source === 'user') return true;
  return fields(connection).some((field) => USER_PLACEHOLDER.test(field.value));
}

export interface ResolveConfigInput {
  /** `user`: the config was written by a user; `${VAR}` is refused, never read from `env`. */
  readonly origin: ServerOrigin;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user the connection is made for; absent in app scope. */
  readonly context?: UserConnectContext;
}

/**
 * The config a transport is built from: every placeholder replaced, `apiKey` turned into the header
 * its `authorization_type` asks for. Throws `UnresolvedPlaceholderError` (a per-user value is
 * missing), `ValidationError('INVALID_CONFIG')` (a `${VAR}` without a value, or any `${VAR}` in a
 * user-supplied config); messages name fields and variables, never values.
 */
export function resolveConnectionConfig(config: ServerConfig, input: ResolveConfigInput): ServerConfig {
  const source = config as ConnectionConfig;
  const resolved = new Map<string, string>();
  for (const field of fields(source)) resolved.set(field.path, resolveField(field, source, input));
  const get = (path: string, fallback: string): string => resolved.get(path) ?? fallback;
  const mapRecord = (name: string, record: Readonly<Record<string, string>>): Record<string, string> =>
    Object.fromEntries(Object.entries(record).map(([key, value]) => [key, get(`${name}.${key}`, value)]));
  const copy = structuredClone(config);
  if (copy.type === 'stdio') {
    copy.command = get('command', copy.command);
    if (copy.args) copy.args = copy.args.map((value, index) => get(`args.${index}`, value));
    if (copy.env) copy.env = mapRecord('env', copy.env);
    if (copy.cwd !== undefined) copy.cwd = get('cwd', copy.cwd);
  } else {
    copy.url = get('url', copy.url);
    if (copy.type !== 'websocket') {
      const headers = copy.headers ? mapRecord('headers', copy.headers) : {};
      const auth = apiKeyHeader(source, input, resolved.get('apiKey.key'));
      copy.headers = auth ? { ...headers, [auth.name]: auth.value } : headers;
    }
  }
  return copy;
}

function resolveField(field: Field, config: ConnectionConfig, input: ResolveConfigInput): string {
  const envIssues: string[] = [];
  let unresolved: UnresolvedPlaceholderError | undefined;
  const value = field.value.replace(ANY_PLACEHOLDER, (whole, envName: string | undefined, userName?: string) => {
    let replacement: string | undefined;
    if (envName !== undefined) {
      if (input.origin === 'user') {
        envIssues.push(`\${${envName}}: a user-supplied server cannot read the server's environment`);
        return whole;
      }
      replacement = Object.hasOwn(input.env, envName) ? input.env[envName] : undefined;
      if (replacement === undefined) {
        envIssues.push(`placeholder \${${envName}} has no value`);
        return whole;
      }
    } else if (userName !== undefined) {
      const found = userValue(userName, field.path, config, input.context);
      if (found instanceof UnresolvedPlaceholderError) {
        unresolved ??= found;
        return whole;
      }
      replacement = found;
    }
    if (replacement === undefined) return whole;
    if (!field.url && UNSAFE_VALUE.test(replacement) && userName !== undefined) {
      unresolved ??= unresolvedPlaceholder(field.path, userName, 'has a value with a line break or NUL');
      return whole;
    }
    return field.url ? encodeURIComponent(replacement) : replacement;
  });
  if (envIssues.length > 0) {
    throw new ValidationError(
      'INVALID_CONFIG',
      envIssues.map((message) => ({ path: field.path, message })),
    );
  }
  if (unresolved) throw unresolved;
  return value;
}

function userValue(
  name: string,
  path: string,
  config: ConnectionConfig,
  context: UserConnectContext | undefined,
): string | UnresolvedPlaceholderError {
  if (!context) return unresolvedPlaceholder(path, name, 'needs a user: connect with a user or session scope');
  if (name.startsWith(USER_FIELD_PREFIX)) {
    const field = USER_FIELD_BY_SUFFIX.get(name.slice(USER_FIELD_PREFIX.length));
    if (!field) return unresolvedPlaceholder(path, name, 'is not a user field Strata knows');
    const value = context.user[field];
    if (value === undefined || value === '') return unresolvedPlaceholder(path, name, 'has no value for this user');
    return String(value);
  }
  const declared = config.customUserVars !== undefined && Object.hasOwn(config.customUserVars, name);
  if (!declared) return unresolvedPlaceholder(path, name, 'is neither a user field nor one of customUserVars');
  const value = context.vars && Object.hasOwn(context.vars, name) ? context.vars[name] : undefined;
  if (value === undefined || value === '') return unresolvedPlaceholder(path, name, 'has no value for this user');
  return value;
}

/** The header `apiKey` asks for, or undefined without `apiKey`. */
function apiKeyHeader(
  config: ConnectionConfig,
  input: ResolveConfigInput,
  adminKey: string | undefined,
): { name: string; value: string } | undefined {
  const options = config.apiKey;
  if (!options) return undefined;
  let key: string | undefined;
  if (options.source === 'user') {
    key = input.context?.apiKey ?? input.context?.vars?.[USER_API_KEY_VARIABLE];
    if (key === undefined || key === '') {
      throw unresolvedPlaceholder(
        'apiKey',
        'apiKey',
        input.context ? 'has no value for this user' : 'needs a user: connect with a user or session scope',
      );
    }
    if (UNSAFE_VALUE.test(key)) throw unresolvedPlaceholder('apiKey', 'apiKey', 'has a line break or NUL');
  } else {
    key = adminKey;
    if (key === undefined || key === '') {
      throw new ValidationError('INVALID_CONFIG', [
        { path: 'apiKey.key', message: 'is required when source is admin' },
      ]);
    }
  }
  switch (options.authorization_type) {
    case 'bearer':
      return { name: 'Authorization', value: `Bearer ${key}` };
    case 'basic':
      return { name: 'Authorization', value: `Basic ${key}` };
    case 'custom':
      if (!options.custom_header) {
        throw new ValidationError('INVALID_CONFIG', [
          { path: 'apiKey.custom_header', message: 'is required when authorization_type is custom' },
        ]);
      }
      return { name: options.custom_header, value: key };
  }
}
