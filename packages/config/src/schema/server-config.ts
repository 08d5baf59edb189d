import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors/strata-error';
import { displayNameProblem } from '../names/display-names';
import { checkConfigLimits } from './limits';

/**
 * `${VAR}` and `${VAR:-default}` placeholders (the environment). They stay as written in every
 * stored config and are resolved only where a connection is made (see `placeholders.ts`).
 * Group 1 is the name, group 2 the default. Global: use it with `replace` / `matchAll` only.
 */
export const PLACEHOLDER_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^{}]*))?\}/g;

export const SERVER_TYPES = ['stdio', 'streamable-http', 'sse', 'websocket'] as const;
export type ServerType = (typeof SERVER_TYPES)[number];

/**
 * Any placeholder form, for checks that must see through placeholders (a URL's shape): `${VAR}`,
 * `${VAR:-default}`, `${input:id}`, `${env:VAR}`, `{{NAME}}`. Global: `replace` / `matchAll` only.
 */
export const ANY_PLACEHOLDER_PATTERN = /\$\{[^{}]*\}|\{\{[^{}]*\}\}/g;

/**
 * Upper bound of `timeout`, `initTimeout` and `sseReadTimeout`, in milliseconds: 24 hours.
 * LibreChat sets none; a bound still catches a value written in seconds times 1000 twice.
 */
export const MAX_TIMEOUT_MS = 86_400_000;

/** Fields the registry stamps on stored configs; an input config may not carry them. */
const REGISTRY_FIELDS: ReadonlySet<string> = new Set(['version', 'updatedAt']);
/** Keys refused in every record (`env`, `headers`), whatever the record's own key rule says. */
const RESERVED_RECORD_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** RFC 7230 `token`. */
const HEADER_NAME_PATTERN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const noNul = (value: string) => !value.includes('\0');
const NO_NUL = 'must not contain NUL characters';

/** A string handed to a child process: no NUL, which `spawn` refuses. */
const processString = z.string().refine(noNul, NO_NUL);
/** 0 means "Strata's default" (LibreChat accepts 0 too). */
const timeoutMs = z.number().int().nonnegative().max(MAX_TIMEOUT_MS);
const toolName = z.string().min(1).max(128);

/**
 * Why `value` is not a URL of one of `protocols`, or undefined. Placeholders count as neutral text
 * (a word, then a number, so one may stand for a host or a port); a URL that *starts* with a
 * placeholder (`${MCP_URL}`, `${BASE}/mcp`) has its scheme and host there, so it is checked as if
 * it began `<first protocol>//x` — and checked again, fully, once resolved at connection time.
 */
export function urlProblem(value: string, protocols: readonly string[]): string | undefined {
  if (value.trim() !== value) return 'must not start or end with whitespace';
  const leading = /^(?:\$\{[^{}]*\}|\{\{[^{}]*\}\})/.exec(value);
  const template = leading ? `${protocols[0] ?? 'https:'}//x${value.slice(leading[0].length)}` : value;
  for (const dummy of ['x', '1']) {
    const probe = template.replace(ANY_PLACEHOLDER_PATTERN, dummy);
    if (!URL.canParse(probe)) continue;
    if (protocols.includes(new URL(probe).protocol)) return undefined;
    return `must use the ${protocols.map((p) => p.slice(0, -1)).join(' or ')} scheme`;
  }
  return 'must be a valid URL';
}

/** The schemes a config's `url` may use, by transport. */
export function urlProtocols(type: ServerType): readonly string[] {
  return type === 'websocket' ? ['ws:', 'wss:'] : ['http:', 'https:'];
}

export function urlSchema(protocols: readonly string[]) {
  return z.string().superRefine((value, ctx) => {
    const problem = urlProblem(value, protocols);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** A string-to-string record whose keys match `keyPattern` and are never prototype names. */
function safeRecord(keyPattern: RegExp, keyRule: string, value: z.ZodType<string>) {
  return z
    .unknown()
    .superRefine((input, ctx) => {
      if (typeof input !== 'object' || input === null) return;
      for (const key of Object.keys(input)) {
        if (RESERVED_RECORD_KEYS.has(key)) {
          ctx.addIssue({ code: 'custom', path: [key], message: `"${key}" is a reserved word` });
        }
      }
    })
    .pipe(z.record(z.string().regex(keyPattern, { error: keyRule }), value));
}

const envSchema = safeRecord(
  ENV_NAME_PATTERN,
  'must be an environment variable name (letters, digits and "_", not starting with a digit)',
  processString,
);
const headersSchema = safeRecord(
  HEADER_NAME_PATTERN,
  'must be an HTTP header name (RFC 7230 token)',
  z.string().refine((value) => !/[\r\n\0]/.test(value), 'must not contain line breaks or NUL characters'),
);

const toolsSchema = z
  .strictObject({ allow: z.array(toolName).optional(), deny: z.array(toolName).optional() })
  .superRefine((tools, ctx) => {
    const allowed = new Set(tools.allow ?? []);
    const both = [...new Set((tools.deny ?? []).filter((name) => allowed.has(name)))];
    if (both.length > 0) {
      const names = both.map((name) => JSON.stringify(name)).join(', ');
      ctx.addIssue({ code: 'custom', path: ['deny'], message: `${names} also listed in tools.allow` });
    }
  });

const httpUrl = urlSchema(['http:', 'https:']);

/** LibreChat's `oauth` block (every field of its current `MCPOptions`). Stored; secrets masked. */
const oauthSchema = z.strictObject({
  authorization_url: httpUrl.optional(),
  token_url: httpUrl.optional(),
  client_id: z.string().optional(),
  client_secret: z.string().optional(),
  scope: z.string().optional(),
  redirect_uri: httpUrl.optional(),
  token_exchange_method: z.enum(['default_post', 'basic_auth_header']).optional(),
  grant_types_supported: z.array(z.string()).optional(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  response_types_supported: z.array(z.string()).optional(),
  code_challenge_methods_supported: z.array(z.string()).optional(),
  skip_code_challenge_check: z.boolean().optional(),
  revocation_endpoint: httpUrl.optional(),
  revocation_endpoint_auth_methods_supported: z.array(z.string()).optional(),
});

/** LibreChat's `apiKey`: the header built from an admin's or each user's key. */
const apiKeySchema = z
  .strictObject({
    key: z.string().optional(),
    source: z.enum(['admin', 'user']),
    authorization_type: z.enum(['basic', 'bearer', 'custom']),
    custom_header: z.string().regex(HEADER_NAME_PATTERN, 'must be an HTTP header name (RFC 7230 token)').optional(),
  })
  .superRefine((apiKey, ctx) => {
    if (apiKey.authorization_type === 'custom' && apiKey.custom_header === undefined) {
      ctx.addIssue({ code: 'custom', path: ['custom_header'], message: 'required when authorization_type is custom' });
    }
    if (apiKey.source === 'admin' && apiKey.key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'required when source is admin' });
    }
  });

/** Names of `customUserVars` entries: what `{{NAME}}` refers to. */
export const USER_VAR_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

const displayName = z.string().superRefine((value, ctx) => {
  const problem = displayNameProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Fields every transport accepts. */
const commonFields = {
  /** The server name as written in its file (set by the parsers when it differs from the slug). */
  displayName: displayName.optional(),
  title: z.string().max(200).optional(),
  description: z.string().max(10_000).optional(),
  iconPath: z.string().max(2048).optional(),
  timeout: timeoutMs.optional(),
  initTimeout: timeoutMs.optional(),
  /** LibreChat: read timeout of the SSE GET stream. Kept; not used by Strata's transports (warning). */
  sseReadTimeout: timeoutMs.refine((value) => value > 0, 'must be positive').optional(),
  /** LibreChat: shown in the chat menu. Passed through to the listing. */
  chatMenu: z.boolean().optional(),
  /** LibreChat: `true` = use the server's instructions; a string = these instructions. Passed through to the listing. */
  serverInstructions: z.union([z.boolean(), z.string()]).optional(),
  /** Per-user variables the user fills in; `{{NAME}}` in the config refers to them. */
  customUserVars: z
    .record(
      z.string().regex(USER_VAR_NAME_PATTERN, 'must be a variable name'),
      z.strictObject({ title: z.string().max(200), description: z.string().max(2000).optional() }),
    )
    .optional(),
  oauth: oauthSchema.optional(),
  /** Headers of OAuth requests (discovery, registration, token). Stored; secrets masked. */
  oauth_headers: headersSchema.optional(),
  apiKey: apiKeySchema.optional(),
  /** On-behalf-of token exchange. Stored; marks the server as needing per-user auth. */
  obo: z.strictObject({ scopes: z.string().min(1) }).optional(),
  /**
   * Set by `parseUserServerConfig`: the config came from a user, so `${VAR}` is never resolved from
   * the server's environment and outbound addresses are guarded. May be written, never cleared.
   */
  userSupplied: z.literal(true).optional(),
  startup: z.boolean().default(true),
  requiresOAuth: z.boolean().default(false),
  perSession: z.boolean().default(false),
  enabled: z.boolean().default(true),
  tools: toolsSchema.optional(),
};

export const stdioServerConfigSchema = z.strictObject({
  type: z.literal('stdio'),
  ...commonFields,
  command: processString.min(1),
  args: z.array(processString).optional(),
  env: envSchema.optional(),
  cwd: processString.min(1).optional(),
  /** LibreChat: what to do with the child's stderr. Kept; Strata's transport decides (warning). */
  stderr: z.union([z.enum(['pipe', 'ignore', 'inherit']), z.number().int().nonnegative()]).optional(),
});

export const streamableHttpServerConfigSchema = z.strictObject({
  type: z.literal('streamable-http'),
  ...commonFields,
  url: httpUrl,
  headers: headersSchema.optional(),
});

export const sseServerConfigSchema = z.strictObject({
  type: z.literal('sse'),
  ...commonFields,
  url: httpUrl,
  headers: headersSchema.optional(),
});

export const websocketServerConfigSchema = z.strictObject({
  type: z.literal('websocket'),
  ...commonFields,
  url: urlSchema(['ws:', 'wss:']),
});

/** One MCP server's configuration, as written by an operator or a user (no registry stamps). */
export const serverConfigSchema = z.discriminatedUnion('type', [
  stdioServerConfigSchema,
  streamableHttpServerConfigSchema,
  sseServerConfigSchema,
  websocketServerConfigSchema,
]);

/** A validated server config; defaults (`startup`, `enabled`, ...) are filled in. */
export type ServerConfig = z.output<typeof serverConfigSchema>;
/** What an operator may write: defaults optional. */
export type ServerConfigInput = z.input<typeof serverConfigSchema>;
export type StdioServerConfig = Extract<ServerConfig, { type: 'stdio' }>;
export type HttpServerConfig = Extract<ServerConfig, { type: 'streamable-http' | 'sse' }>;
export type WebSocketServerConfig = Extract<ServerConfig, { type: 'websocket' }>;

export interface ParseServerConfigOptions {
  /** The input's file path or name, copied to `ValidationError.source`. */
  source?: string;
  /** Dotted path of the config inside its document, e.g. `servers.github`. */
  pathPrefix?: string;
}

/** Dotted path: `prefix` then each segment. */
export function joinPath(prefix: string, segments: readonly PropertyKey[]): string {
  const parts = prefix === '' ? [] : [prefix];
  for (const segment of segments) parts.push(String(segment));
  return parts.join('.');
}

const TYPE_RULE = `must be one of ${SERVER_TYPES.map((type) => `"${type}"`).join(', ')}`;

/** Zod issues as `FieldIssue`s with full dotted paths and messages that never quote a value. */
export function toFieldIssues(issues: readonly z.core.$ZodIssue[], pathPrefix = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const path = joinPath(pathPrefix, issue.path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const stamped = issue.path.length === 0 && REGISTRY_FIELDS.has(key);
        out.push({ path: joinPath(path, [key]), message: stamped ? 'set by the registry' : 'unknown field' });
      }
    } else if (issue.code === 'invalid_union' && issue.path.length === 1 && issue.path[0] === 'type') {
      out.push({ path, message: TYPE_RULE });
    } else if (issue.code === 'invalid_key') {
      out.push({ path, message: issue.issues[0]?.message ?? issue.message });
    } else {
      out.push({ path, message: issue.message });
    }
  }
  return out;
}

/**
 * Validates one server config. Throws `ValidationError('INVALID_CONFIG')` naming every bad field
 * (paths start with `options.pathPrefix`); never throws anything else for JSON-like input.
 */
export function parseServerConfig(input: unknown, options: ParseServerConfigOptions = {}): ServerConfig {
  checkConfigLimits(input, options.pathPrefix ?? '', options.source);
  const result = serverConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError('INVALID_CONFIG', toFieldIssues(result.error.issues, options.pathPrefix), options.source);
}

/** Removes the keys at `path` (each a key path) from a deep copy of a JSON-like value. */
function withoutKeys(input: unknown, paths: ReadonlyArray<readonly PropertyKey[]>): unknown {
  const copy: unknown = structuredClone(input);
  for (const path of paths) {
    let node: unknown = copy;
    for (const segment of path.slice(0, -1)) {
      node = typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[segment] : undefined;
    }
    const last = path.at(-1);
    if (typeof node === 'object' && node !== null && last !== undefined) {
      delete (node as Record<PropertyKey, unknown>)[last];
    }
  }
  return copy;
}

/**
 * For client formats that ignore what they do not know (LibreChat strips unknown keys): a copy of
 * `input` without the fields the schema does not know, at any depth, and the dotted paths of those
 * fields. Registry stamps (`version`, `updatedAt`) are not dropped: they stay errors.
 */
export function dropUnknownFields(input: unknown): { value: unknown; dropped: string[] } {
  let value = input;
  const dropped: string[] = [];
  // Nested unknown keys can surface only once their parent parses: a few rounds at most.
  for (let round = 0; round < 4; round++) {
    const result = serverConfigSchema.safeParse(value);
    if (result.success) break;
    const paths: PropertyKey[][] = [];
    for (const issue of result.error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      for (const key of issue.keys) {
        if (issue.path.length === 0 && REGISTRY_FIELDS.has(key)) continue;
        paths.push([...issue.path, key]);
      }
    }
    if (paths.length === 0) break;
    dropped.push(...paths.map((path) => joinPath('', path)));
    value = withoutKeys(value, paths);
  }
  return { value, dropped };
}
