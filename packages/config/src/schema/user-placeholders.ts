import { UnresolvedPlaceholderError, ValidationError, type FieldIssue } from '../errors/strata-error';
import { joinPath, urlProblem, urlProtocols, type ServerConfig } from './server-config';

/**
 * The user fields LibreChat substitutes as `{{LIBRECHAT_USER_<FIELD>}}` (its `ALLOWED_USER_FIELDS`,
 * `packages/api/src/utils/env.ts`): the placeholder is the field name upper-cased, e.g. `googleId`
 * → `{{LIBRECHAT_USER_GOOGLEID}}`.
 */
export const USER_CONTEXT_FIELDS = [
  'id',
  'name',
  'username',
  'email',
  'provider',
  'role',
  'googleId',
  'facebookId',
  'openidId',
  'samlId',
  'ldapId',
  'githubId',
  'discordId',
  'appleId',
  'emailVerified',
  'twoFactorEnabled',
  'termsAccepted',
] as const;

export type UserContextField = (typeof USER_CONTEXT_FIELDS)[number];

/**
 * Who a connection is for, as the API knows the signed-in user. `undefined` = the user has no such
 * value (a placeholder for it is refused); `null` = explicitly empty (replaced by `''`, as LibreChat does).
 */
export type UserContext = { readonly id: string } & {
  readonly [K in Exclude<UserContextField, 'id'>]?: string | boolean | null;
};

/** `{{LIBRECHAT_USER_ID}}` → `id`, for every field of {@link USER_CONTEXT_FIELDS}. */
export const USER_PLACEHOLDERS: ReadonlyMap<string, UserContextField> = new Map(
  USER_CONTEXT_FIELDS.map((field) => [`LIBRECHAT_USER_${field.toUpperCase()}`, field]),
);

/**
 * The variable Strata reads a user's own key from when `apiKey.source` is `user` (Strata's choice;
 * declare it in `customUserVars` so the user is asked for it).
 */
export const USER_API_KEY_VARIABLE = 'MCP_API_KEY';

/**
 * Per-user placeholders: `{{NAME}}` (a `LIBRECHAT_USER_*` field, a `customUserVars` entry, or any
 * other `LIBRECHAT_*` LibreChat placeholder) and VS Code's `${input:id}`. Global.
 */
export const USER_PLACEHOLDER_PATTERN = /\{\{([A-Za-z_][A-Za-z0-9_.-]*)\}\}|\$\{input:([A-Za-z0-9_.-]+)\}/g;

/** A string field of a config a connection uses, with its path relative to the config. */
export interface ConfigStringField {
  readonly path: string;
  readonly value: string;
}

function recordFields(name: string, record: Readonly<Record<string, string>> | undefined): ConfigStringField[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({ path: joinPath(name, [key]), value }));
}

/**
 * Every string a connection sends or runs: command, args, env values, cwd, url, header values,
 * OAuth strings and OAuth headers, and `apiKey.key`.
 */
export function connectionStringFields(config: ServerConfig): ConfigStringField[] {
  const fields: ConfigStringField[] = [];
  if (config.type === 'stdio') {
    fields.push({ path: 'command', value: config.command });
    (config.args ?? []).forEach((value, index) => fields.push({ path: `args.${index}`, value }));
    fields.push(...recordFields('env', config.env));
    if (config.cwd !== undefined) fields.push({ path: 'cwd', value: config.cwd });
  } else {
    fields.push({ path: 'url', value: config.url });
    if (config.type !== 'websocket') fields.push(...recordFields('headers', config.headers));
  }
  for (const [key, value] of Object.entries(config.oauth ?? {})) {
    if (typeof value === 'string') fields.push({ path: `oauth.${key}`, value });
  }
  fields.push(...recordFields('oauth_headers', config.oauth_headers));
  if (config.apiKey?.key !== undefined) fields.push({ path: 'apiKey.key', value: config.apiKey.key });
  return fields;
}

/**
 * A deep copy of `config` with `map(path, value)` applied to every field
 * {@link connectionStringFields} lists (same paths).
 */
export function mapConnectionStrings(config: ServerConfig, map: (path: string, value: string) => string): ServerConfig {
  const copy = structuredClone(config);
  const mapRecord = (name: string, record: Record<string, string>) =>
    Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(`${name}.${key}`, value)]));
  if (copy.type === 'stdio') {
    copy.command = map('command', copy.command);
    if (copy.args) copy.args = copy.args.map((value, index) => map(`args.${index}`, value));
    if (copy.env) copy.env = mapRecord('env', copy.env);
    if (copy.cwd !== undefined) copy.cwd = map('cwd', copy.cwd);
  } else {
    copy.url = map('url', copy.url);
    if (copy.type !== 'websocket' && copy.headers) copy.headers = mapRecord('headers', copy.headers);
  }
  if (copy.oauth) {
    const oauth: Record<string, unknown> = copy.oauth;
    for (const [key, value] of Object.entries(oauth)) {
      if (typeof value === 'string') oauth[key] = map(`oauth.${key}`, value);
    }
  }
  if (copy.oauth_headers) copy.oauth_headers = mapRecord('oauth_headers', copy.oauth_headers);
  if (copy.apiKey?.key !== undefined) copy.apiKey.key = map('apiKey.key', copy.apiKey.key);
  return copy;
}

/** How a per-user placeholder name is understood in a config. */
export type UserPlaceholderKind = 'user-field' | 'user-variable' | 'unsupported' | 'undeclared';

/**
 * `user-field`: `LIBRECHAT_USER_*`; `user-variable`: a `customUserVars` entry or a VS Code input;
 * `unsupported`: another `LIBRECHAT_*` placeholder (OpenID tokens, request body fields) Strata cannot
 * fill — a connection is refused; `undeclared`: `{{NAME}}` that names nothing, sent as written.
 */
export function userPlaceholderKind(
  name: string,
  config: Pick<ServerConfig, 'customUserVars'>,
  input = false,
): UserPlaceholderKind {
  if (input) return 'user-variable';
  if (USER_PLACEHOLDERS.has(name)) return 'user-field';
  if (config.customUserVars && Object.hasOwn(config.customUserVars, name)) return 'user-variable';
  if (name.startsWith('LIBRECHAT_')) return 'unsupported';
  return 'undeclared';
}

/** One per-user placeholder found in a config. */
export interface UserPlaceholderUse {
  /** Field path relative to the config, e.g. `headers.X-User-ID`. */
  readonly path: string;
  /** The variable: `LIBRECHAT_USER_ID`, a customUserVars name, or a VS Code input id. */
  readonly variable: string;
  readonly kind: UserPlaceholderKind;
}

/** Every per-user placeholder of a config, in field order. */
export function listUserPlaceholders(config: ServerConfig): UserPlaceholderUse[] {
  const uses: UserPlaceholderUse[] = [];
  for (const { path, value } of connectionStringFields(config)) {
    for (const match of value.matchAll(USER_PLACEHOLDER_PATTERN)) {
      const input = match[2] !== undefined;
      const variable = match[1] ?? match[2] ?? '';
      uses.push({ path, variable, kind: userPlaceholderKind(variable, config, input) });
    }
  }
  return uses;
}

/**
 * True when connecting needs a user: the config uses a per-user placeholder (`LIBRECHAT_USER_*`, a
 * `customUserVars` entry, a VS Code input, an unsupported `LIBRECHAT_*` one) or takes its API key
 * from the user. Such a server must never be connected with app scope, and its tool list is
 * cached per user.
 */
export function usesPerUserPlaceholders(config: ServerConfig): boolean {
  if (config.apiKey?.source === 'user') return true;
  return listUserPlaceholders(config).some((use) => use.kind !== 'undeclared');
}

/** Fields holding a URL: a per-user value is percent-encoded into them. */
const URL_FIELD = /^(?:url|oauth\.(?:authorization_url|token_url|redirect_uri|revocation_endpoint))$/;
/** Never in a value: NUL (refused by `spawn` and by HTTP). */
const UNSAFE_VALUE = /\0/;
/** Not in a header, OAuth, command or cwd value (header injection); allowed in args and env. */
const LINE_BREAK = /[\r\n]/;

/** Options of {@link resolveUserPlaceholders}. */
export interface ResolveUserPlaceholdersOptions {
  /** Copied to the error's `source`. */
  readonly source?: string;
  /** Prefix of issue paths, e.g. `servers.github`. */
  readonly pathPrefix?: string;
}

function userFieldValue(user: UserContext | undefined, field: UserContextField): string | undefined {
  if (user === undefined) return undefined;
  const value: unknown = field === 'id' ? user.id : user[field];
  if (value === null) return '';
  if (typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return undefined;
  return field === 'id' && value === '' ? undefined : value;
}

/**
 * A deep copy of `config` with every per-user placeholder replaced, in one pass (a replacement is
 * never scanned again): `{{LIBRECHAT_USER_<FIELD>}}` from `user`, `{{NAME}}` (a `customUserVars`
 * entry) and `${input:id}` from `userVars`. Then, when `apiKey` is set, the header it asks for is
 * added (`Authorization: Bearer <key>` / `Basic <key>`, or `custom_header: <key>`), the key taken
 * from `apiKey.key` (source admin) or `userVars[USER_API_KEY_VARIABLE]` (source user).
 *
 * A value substituted into a URL (`url`, OAuth URLs) is percent-encoded, so a user's value is data
 * and never moves the host (`{{TENANT}}` = `evil.example/?` stays under the configured domain).
 *
 * Anything that cannot be filled — no user, a field the user lacks, a variable the user has not set
 * (absent or empty), an unsupported `LIBRECHAT_*` placeholder, a value holding NUL (or a line break
 * outside `args` and `env`) — throws
 * {@link UnresolvedPlaceholderError} (`UNRESOLVED_PLACEHOLDER`) naming the field and the variable
 * (never a value): a placeholder is never sent as written. `{{NAME}}` that names nothing is not a
 * placeholder and stays.
 *
 * Order at connection time: resolve `${VAR}` from the environment first (operator configs only),
 * then this — a user's value is then never expanded from the environment.
 */
export function resolveUserPlaceholders(
  config: ServerConfig,
  user: UserContext | undefined,
  userVars: Readonly<Record<string, string | undefined>>,
  options: ResolveUserPlaceholdersOptions = {},
): ServerConfig {
  const issues: (FieldIssue & { variable: string })[] = [];
  const prefix = options.pathPrefix ?? '';
  const variableValue = (name: string): string | undefined => {
    const value = Object.hasOwn(userVars, name) ? userVars[name] : undefined;
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const resolveString = (path: string, value: string): string =>
    value.replace(USER_PLACEHOLDER_PATTERN, (whole, braced: string | undefined, input: string | undefined) => {
      const variable = braced ?? input ?? '';
      const kind = userPlaceholderKind(variable, config, input !== undefined);
      let replacement: string | undefined;
      let why = '';
      if (kind === 'undeclared') return whole;
      if (kind === 'user-field') {
        const field = USER_PLACEHOLDERS.get(variable);
        replacement = field === undefined ? undefined : userFieldValue(user, field);
        why = user === undefined ? 'needs a signed-in user' : 'the user has no such field';
      } else if (kind === 'user-variable') {
        replacement = variableValue(variable);
        why = 'the user has not set this variable';
      } else {
        why = 'is not supported by Strata';
      }
      const written = input === undefined ? `{{${variable}}}` : `\${input:${variable}}`;
      if (replacement === undefined) {
        issues.push({ path: joinPath(prefix, [path]), variable, message: `placeholder ${written}: ${why}` });
        return whole;
      }
      // URLs get the value percent-encoded; args and env may hold line breaks; nothing may hold NUL.
      const lineBreaksAllowed = URL_FIELD.test(path) || /^(?:args|env)\./.test(path);
      if (UNSAFE_VALUE.test(replacement) || (!lineBreaksAllowed && LINE_BREAK.test(replacement))) {
        issues.push({
          path: joinPath(prefix, [path]),
          variable,
          message: `placeholder ${written}: its value holds a NUL or a line break, not allowed here`,
        });
        return whole;
      }
      // In a URL a value is data, never structure: `evil.example/?` must not move the host.
      return URL_FIELD.test(path) ? encodeURIComponent(replacement) : replacement;
    });

  const copy = mapConnectionStrings(config, resolveString);
  if (copy.apiKey && copy.type !== 'stdio') {
    const key = copy.apiKey.source === 'admin' ? copy.apiKey.key : variableValue(USER_API_KEY_VARIABLE);
    if (key === undefined || key === '') {
      issues.push({
        path: joinPath(prefix, ['apiKey']),
        variable: copy.apiKey.source === 'admin' ? 'apiKey.key' : USER_API_KEY_VARIABLE,
        message:
          copy.apiKey.source === 'admin' ? 'apiKey.key is empty' : `the user has not set ${USER_API_KEY_VARIABLE}`,
      });
    } else if (copy.type !== 'websocket') {
      const { authorization_type: kind, custom_header: custom } = copy.apiKey;
      const header = kind === 'custom' && custom !== undefined ? custom : 'Authorization';
      const value = kind === 'bearer' ? `Bearer ${key}` : kind === 'basic' ? `Basic ${key}` : key;
      copy.headers = { ...copy.headers, [header]: value };
    }
  }
  if (issues.length > 0) throw new UnresolvedPlaceholderError(issues, options.source);
  assertResolvedUrl(copy, options);
  return copy;
}

/**
 * Once placeholders are resolved, the URL must be a real URL of its transport's schemes: a value
 * can turn `https://${HOST}/mcp` into anything. Throws `INVALID_CONFIG` on `url` (never quoting it).
 */
export function assertResolvedUrl(config: ServerConfig, options: ResolveUserPlaceholdersOptions = {}): void {
  if (config.type === 'stdio') return;
  const problem = urlProblem(config.url, urlProtocols(config.type));
  if (problem) {
    throw new ValidationError(
      'INVALID_CONFIG',
      [{ path: joinPath(options.pathPrefix ?? '', ['url']), message: `once resolved, ${problem}` }],
      options.source,
    );
  }
}
