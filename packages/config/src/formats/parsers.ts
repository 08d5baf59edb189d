import { stringify } from 'yaml';
import { ValidationError, type FieldIssue } from '../errors/strata-error';
import { serverNameProblem } from '../names/names';
import { readJsonDocument, readYamlDocument, type RawDocument } from './read-document';
import { joinPath, parseServerConfig, type ServerConfig } from '../schema/server-config';

/** One server read from a config file. */
export interface NamedServerConfig {
  readonly name: string;
  readonly config: ServerConfig;
}

/** The servers of one config file, in file order. */
export interface ParsedServers {
  readonly servers: NamedServerConfig[];
}

/** Strata's own format: `version` (optional, 1) and `servers`. */
export const STRATA_CONFIG_VERSION = 1;

type PlainObject = Record<string, unknown>;
/** Turns one raw server entry into the Strata shape `parseServerConfig` expects. */
type EntryMapper = (entry: PlainObject) => PlainObject;

function isPlainObject(value: unknown): value is PlainObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function fail(issues: FieldIssue[], source: string): never {
  throw new ValidationError('INVALID_CONFIG', issues, source);
}

function rootObject(doc: RawDocument, kind: string, source: string): PlainObject {
  if (isPlainObject(doc.root)) return doc.root;
  const got = doc.root === null || doc.root === undefined ? 'an empty document' : describe(doc.root);
  return fail([{ path: '', message: `the root must be ${kind} (got ${got})` }], source);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return value === null ? 'null' : `a ${typeof value}`;
}

/**
 * Validates every entry of the server map `section` (all problems are reported together) and
 * returns them in file order.
 */
function readServers(
  doc: RawDocument,
  root: PlainObject,
  section: string,
  source: string,
  map?: EntryMapper,
): ParsedServers {
  const servers: NamedServerConfig[] = [];
  const issues: FieldIssue[] = [];
  const value = Object.hasOwn(root, section) ? root[section] : undefined;
  if (value === undefined || value === null) return { servers };
  if (!isPlainObject(value)) fail([{ path: section, message: `must be a map of server name to config` }], source);
  const names = doc.sectionKeys(section)?.filter((name) => Object.hasOwn(value, name)) ?? Object.keys(value);
  for (const name of names) {
    const path = joinPath(section, [name]);
    const nameProblem = serverNameProblem(name);
    if (nameProblem) {
      issues.push({ path, message: `invalid server name: ${nameProblem}` });
      continue;
    }
    const entry = value[name];
    try {
      const input = map && isPlainObject(entry) ? map(entry) : entry;
      servers.push({ name, config: parseServerConfig(input, { source, pathPrefix: path }) });
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0) fail(issues, source);
  return { servers };
}

/**
 * Parses Strata's own `strata.yaml`: optional `version: 1` and a `servers` map of name to config.
 * Issue paths start with `servers.<name>`.
 */
export function parseStrataYaml(text: string, source: string): ParsedServers {
  const doc = readYamlDocument(text, source);
  const root = rootObject(doc, 'a map with "servers"', source);
  const issues: FieldIssue[] = [];
  for (const key of Object.keys(root)) {
    if (key !== 'version' && key !== 'servers') issues.push({ path: key, message: 'unknown field' });
  }
  if (Object.hasOwn(root, 'version') && root.version !== STRATA_CONFIG_VERSION) {
    issues.push({ path: 'version', message: `must be ${STRATA_CONFIG_VERSION}` });
  }
  if (issues.length > 0) fail(issues, source);
  return readServers(doc, root, 'servers', source);
}

/** Keys LibreChat accepts that have no meaning in Strata. */
const LIBRECHAT_DROPPED = ['chatMenu', 'serverInstructions', 'customUserVars', 'oauth'] as const;

/** Infers the transport the way LibreChat does: `command` → stdio, `ws(s)://` → websocket, else sse. */
function librechatType(entry: PlainObject): unknown {
  if (entry.type === 'http') return 'streamable-http';
  if (entry.type !== undefined) return entry.type;
  if (entry.command !== undefined) return 'stdio';
  if (typeof entry.url === 'string' && /^wss?:/i.test(entry.url)) return 'websocket';
  return entry.url === undefined ? undefined : 'sse';
}

function fromLibreChat(entry: PlainObject): PlainObject {
  const out: PlainObject = { ...entry };
  for (const key of LIBRECHAT_DROPPED) delete out[key];
  const type = librechatType(entry);
  if (type !== undefined) out.type = type;
  if (entry.oauth !== undefined && entry.oauth !== null) out.requiresOAuth = true;
  return out;
}

/**
 * Parses the `mcpServers` section of a LibreChat `librechat.yaml` (other sections are ignored).
 * `chatMenu`, `serverInstructions`, `customUserVars` are dropped; `oauth` becomes
 * `requiresOAuth: true`; `type: http` means `streamable-http`. Issue paths start with `mcpServers.<name>`.
 */
export function parseLibreChatYaml(text: string, source: string): ParsedServers {
  const doc = readYamlDocument(text, source);
  return readServers(doc, rootObject(doc, 'a map', source), 'mcpServers', source, fromLibreChat);
}

function fromClaudeDesktop(entry: PlainObject): PlainObject {
  const out: PlainObject = { ...entry };
  if (entry.type === 'http') out.type = 'streamable-http';
  else if (entry.type === undefined) out.type = entry.command !== undefined ? 'stdio' : 'streamable-http';
  return out;
}

/**
 * Parses Claude Desktop's `claude_desktop_config.json`: `mcpServers` maps a name to
 * `{ command, args?, env? }` (stdio) or `{ type?, url, headers? }` (`type` defaults to
 * `streamable-http`; `http` is an alias). Other top-level keys are ignored.
 */
export function parseClaudeDesktopJson(text: string, source: string): ParsedServers {
  const doc = readJsonDocument(text, source);
  return readServers(doc, rootObject(doc, 'a JSON object', source), 'mcpServers', source, fromClaudeDesktop);
}

/** Writes servers as a `strata.yaml` document that `parseStrataYaml` reads back equal. */
export function serializeStrataYaml(servers: readonly NamedServerConfig[]): string {
  const issues: FieldIssue[] = [];
  // A Map keeps the given order; an object would move integer-like names ("10") first.
  const map = new Map<string, ServerConfig>();
  for (const { name, config } of servers) {
    const problem = serverNameProblem(name);
    if (problem) issues.push({ path: joinPath('servers', [name]), message: `invalid server name: ${problem}` });
    else if (map.has(name)) issues.push({ path: `servers.${name}`, message: 'duplicate server name' });
    else map.set(name, config);
  }
  if (issues.length > 0) throw new ValidationError('INVALID_CONFIG', issues);
  return stringify({ version: STRATA_CONFIG_VERSION, servers: map }, { lineWidth: 0 });
}
