import { z } from 'zod';
import { ValidationError, type FieldIssue } from '../errors/strata-error';

/**
 * `${VAR}` placeholders. They stay as written in every stored config and are resolved only where a
 * connection is made (see `placeholders.ts`). Global: use it with `replace` / `matchAll` only.
 */
export const PLACEHOLDER_PATTERN = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export const SERVER_TYPES = ['stdio', 'streamable-http', 'sse', 'websocket'] as const;
export type ServerType = (typeof SERVER_TYPES)[number];

/** Upper bound of `timeout` and `initTimeout`, in milliseconds. */
export const MAX_TIMEOUT_MS = 600_000;

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
const timeoutMs = z.number().int().positive().max(MAX_TIMEOUT_MS);
const toolName = z.string().min(1).max(128);

/** Why `value` is not a URL of one of `protocols` (placeholders count as plain text), or undefined. */
function urlProblem(value: string, protocols: readonly string[]): string | undefined {
  if (value.trim() !== value) return 'must not start or end with whitespace';
  // A placeholder may stand for a host name or a port, so try a word and then a number.
  for (const dummy of ['x', '1']) {
    const probe = value.replace(PLACEHOLDER_PATTERN, dummy);
    if (!URL.canParse(probe)) continue;
    if (protocols.includes(new URL(probe).protocol)) return undefined;
    return `must use the ${protocols.map((p) => p.slice(0, -1)).join(' or ')} scheme`;
  }
  return 'must be a valid URL';
}

function urlSchema(protocols: readonly string[]) {
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

/** Fields every transport accepts. */
const commonFields = {
  title: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  iconPath: z.string().optional(),
  timeout: timeoutMs.optional(),
  initTimeout: timeoutMs.optional(),
  startup: z.boolean().default(true),
  requiresOAuth: z.boolean().default(false),
  perSession: z.boolean().default(false),
  enabled: z.boolean().default(true),
  tools: toolsSchema.optional(),
};

const httpUrl = urlSchema(['http:', 'https:']);

export const stdioServerConfigSchema = z.strictObject({
  type: z.literal('stdio'),
  ...commonFields,
  command: processString.min(1),
  args: z.array(processString).optional(),
  env: envSchema.optional(),
  cwd: processString.min(1).optional(),
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
  const result = serverConfigSchema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError('INVALID_CONFIG', toFieldIssues(result.error.issues, options.pathPrefix), options.source);
}
