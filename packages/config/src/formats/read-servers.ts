import {
  LimitError,
  ValidationError,
  type ErrorCode,
  type FieldIssue,
  type ValidationErrorCode,
} from '../errors/strata-error';
import { displayNameProblem, slugify } from '../names/display-names';
import { MAX_SERVERS_PER_FILE } from '../schema/limits';
import { dropUnknownFields, joinPath, parseServerConfig, type ServerConfig } from '../schema/server-config';
import { parseUserServerConfig } from '../schema/user-config';
import { connectionStringFields, listUserPlaceholders } from '../schema/user-placeholders';
import type { RawDocument } from './read-document';

/** One server read from a config file. */
export interface NamedServerConfig {
  /** The key-safe slug of the name as written (`slugify`): what the registry keys the server by. */
  readonly name: string;
  /** The name as written in the file, when it differs from `name` (also kept as `config.displayName`). */
  readonly displayName?: string;
  readonly config: ServerConfig;
}

/** Something kept without effect, or dropped, in an entry; `path` names the field. */
export interface ConfigWarning {
  readonly path: string;
  readonly message: string;
}

/** An entry that was refused, with every bad field. */
export interface EntryError {
  /** The name as written. */
  readonly name: string;
  /** Path of the entry, e.g. `mcpServers.github`. */
  readonly path: string;
  /** `INVALID_CONFIG`, `INVALID_NAME`, `CONFLICT` or `LIMIT_EXCEEDED`. */
  readonly code: ErrorCode;
  readonly issues: readonly FieldIssue[];
}

/** The servers of one config file, in file order, with the warnings and the refused entries. */
export interface ParsedServers {
  readonly servers: NamedServerConfig[];
  readonly warnings: ConfigWarning[];
  readonly errors: EntryError[];
}

/** How the parsers read a file. */
export interface ParseOptions {
  /**
   * Refuse the whole file (throw) when any entry is refused; the error's code is the first refused
   * entry's and its issues are every entry's. @defaultValue false (per entry)
   */
  readonly strict?: boolean;
  /**
   * Whose file it is: `operator` (config files, admin routes: every transport, `${VAR}` from the
   * environment) or `user` (a user's own servers: the user-supplied schema). @defaultValue 'operator'
   */
  readonly audience?: 'operator' | 'user';
  /** With `audience: 'user'`: let users configure stdio servers. @defaultValue false */
  readonly allowStdio?: boolean;
}

export type PlainObject = Record<string, unknown>;

/** A format's view of one raw entry: the Strata-shaped input and what the mapping warns about. */
export interface MappedEntry {
  readonly input: unknown;
  readonly warnings?: readonly ConfigWarning[];
}

/** How a format reads its entries. */
export interface EntryFormat {
  /** Turns one raw entry into the Strata shape (entry path given for warnings). */
  readonly map?: (entry: PlainObject, path: string) => MappedEntry;
  /** Unknown fields are dropped with a warning (what the client itself does) instead of refused. */
  readonly lenient: boolean;
}

export function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Fields Strata keeps but does not act on (yet), with why. */
const KEPT_WITHOUT_EFFECT: ReadonlyArray<readonly [string, string]> = [
  ['sseReadTimeout', "kept; Strata's transports do not use it"],
  ['stderr', "kept; Strata's stdio transport decides where stderr goes"],
  ['oauth', 'kept (secrets masked); Strata does not run the OAuth flow: the server needs per-user auth'],
  ['oauth_headers', 'kept (secrets masked); used only by an OAuth flow, which Strata does not run'],
  ['obo', 'kept; Strata does not run the on-behalf-of exchange: the server needs per-user auth'],
];

/** Variables editors fill in themselves (VS Code, Cursor); Strata reads them from the environment like `${VAR}`. */
const EDITOR_VARIABLES = /\$\{(workspaceFolder|workspaceFolderBasename|userHome|cwd|pathSeparator)\}/g;

/** Warnings about what a valid config holds that will not do what its author may expect. */
export function configWarnings(config: ServerConfig, path: string): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  for (const [field, why] of KEPT_WITHOUT_EFFECT) {
    if (config[field as keyof typeof config] !== undefined)
      warnings.push({ path: joinPath(path, [field]), message: why });
  }
  if (config.apiKey !== undefined && config.type === 'websocket') {
    warnings.push({ path: joinPath(path, ['apiKey']), message: 'kept; a websocket server gets no headers' });
  }
  for (const { path: field, value } of connectionStringFields(config)) {
    for (const match of value.matchAll(EDITOR_VARIABLES)) {
      warnings.push({
        path: joinPath(path, [field]),
        message: `\${${match[1] ?? ''}} is an editor variable: Strata reads it from the server environment`,
      });
    }
  }
  for (const use of listUserPlaceholders(config)) {
    const field = joinPath(path, [use.path]);
    if (use.kind === 'undeclared') {
      warnings.push({
        path: field,
        message: `{{${use.variable}}} is not a customUserVars entry nor a LIBRECHAT_USER_* field: sent as written`,
      });
    } else if (use.kind === 'unsupported') {
      warnings.push({
        path: field,
        message: `{{${use.variable}}} is not supported by Strata: connections to this server are refused (UNRESOLVED_PLACEHOLDER)`,
      });
    }
  }
  return warnings;
}

function entryError(name: string, path: string, error: unknown): EntryError {
  if (error instanceof ValidationError) return { name, path, code: error.code, issues: error.issues };
  throw error;
}

/**
 * Reads every entry of the server map `section`: each entry is returned valid (with its
 * warnings) or refused (with its field errors); names become slugs, two names with one slug are a
 * `CONFLICT` naming both. With `options.strict`, any refused entry refuses the file.
 */
export function readServers(
  doc: RawDocument,
  root: PlainObject,
  section: string,
  source: string,
  format: EntryFormat,
  options: ParseOptions = {},
): ParsedServers {
  const result: ParsedServers = { servers: [], warnings: [], errors: [] };
  const value = Object.hasOwn(root, section) ? root[section] : undefined;
  if (value === undefined || value === null) return result;
  if (!isPlainObject(value)) {
    throw new ValidationError(
      'INVALID_CONFIG',
      [{ path: section, message: 'must be a map of server name to config' }],
      source,
    );
  }
  // File order from the syntax tree; keys merged in (`<<: *defaults`) follow.
  const ordered = doc.sectionKeys(section)?.filter((name) => Object.hasOwn(value, name)) ?? [];
  const names = [...ordered, ...Object.keys(value).filter((name) => !ordered.includes(name))];
  if (names.length > MAX_SERVERS_PER_FILE) {
    throw new LimitError('MAX_SERVERS_PER_FILE', MAX_SERVERS_PER_FILE, section, `${names.length} servers`, source);
  }
  const slugs = new Map<string, string>();
  for (const name of names) {
    const path = joinPath(section, [name]);
    const nameProblem = displayNameProblem(name);
    if (nameProblem) {
      result.errors.push({
        name,
        path,
        code: 'INVALID_NAME',
        issues: [{ path, message: `invalid server name: ${nameProblem}` }],
      });
      continue;
    }
    const slug = slugify(name);
    const first = slugs.get(slug);
    if (first !== undefined) {
      const message = `"${first}" and "${name}" have the same key "${slug}": rename one`;
      result.errors.push({ name, path, code: 'CONFLICT', issues: [{ path, message }] });
      continue;
    }
    slugs.set(slug, name);
    try {
      const parsed = readEntry(value[name], path, source, format, options);
      const config =
        name === slug ? parsed.config : { ...parsed.config, displayName: parsed.config.displayName ?? name };
      result.servers.push(name === slug ? { name: slug, config } : { name: slug, displayName: name, config });
      result.warnings.push(...parsed.warnings, ...configWarnings(config, path));
    } catch (error) {
      result.errors.push(entryError(name, path, error));
    }
  }
  if (options.strict && result.errors.length > 0) {
    const code = (result.errors[0]?.code ?? 'INVALID_CONFIG') as ValidationErrorCode;
    throw new ValidationError(
      code,
      result.errors.flatMap((error) => error.issues),
      source,
    );
  }
  return result;
}

function readEntry(
  entry: unknown,
  path: string,
  source: string,
  format: EntryFormat,
  options: ParseOptions,
): { config: ServerConfig; warnings: ConfigWarning[] } {
  const warnings: ConfigWarning[] = [];
  let input = entry;
  if (format.map && isPlainObject(entry)) {
    const mapped = format.map(entry, path);
    input = mapped.input;
    warnings.push(...(mapped.warnings ?? []));
  }
  if (format.lenient) {
    const { value, dropped } = dropUnknownFields(input);
    input = value;
    for (const field of dropped) warnings.push({ path: joinPath(path, [field]), message: 'unknown field, ignored' });
  }
  const config =
    options.audience === 'user'
      ? parseUserServerConfig(input, { source, pathPrefix: path, allowStdio: options.allowStdio === true })
      : parseServerConfig(input, { source, pathPrefix: path });
  return { config, warnings };
}
