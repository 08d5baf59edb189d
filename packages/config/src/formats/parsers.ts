import { stringify } from 'yaml';
import { ValidationError, type FieldIssue } from '../errors/strata-error';
import { displayNameProblem } from '../names/display-names';
import { joinPath, type ServerConfig } from '../schema/server-config';
import { USER_PLACEHOLDER_PATTERN } from '../schema/user-placeholders';
import { readJsonDocument, readYamlDocument, type RawDocument } from './read-document';
import {
  isPlainObject,
  readServers,
  type ConfigWarning,
  type EntryFormat,
  type MappedEntry,
  type NamedServerConfig,
  type ParseOptions,
  type ParsedServers,
  type PlainObject,
} from './read-servers';

export type { ConfigWarning, EntryError, NamedServerConfig, ParseOptions, ParsedServers } from './read-servers';

/** Strata's own format: `version` (optional, 1) and `servers`. */
export const STRATA_CONFIG_VERSION = 1;

function fail(issues: FieldIssue[], source: string): never {
  throw new ValidationError('INVALID_CONFIG', issues, source);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return value === null ? 'null' : `a ${typeof value}`;
}

function rootObject(doc: RawDocument, kind: string, source: string): PlainObject {
  if (isPlainObject(doc.root)) return doc.root;
  const got = doc.root === null || doc.root === undefined ? 'an empty document' : describe(doc.root);
  return fail([{ path: '', message: `the root must be ${kind} (got ${got})` }], source);
}

/**
 * Parses Strata's own `strata.yaml`: optional `version: 1` and a `servers` map of name to config.
 * Strict about fields (Strata's own format: an unknown field is an error, not a warning). Issue
 * paths start with `servers.<name>`.
 */
export function parseStrataYaml(text: string, source: string, options: ParseOptions = {}): ParsedServers {
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
  return readServers(doc, root, 'servers', source, { lenient: false }, options);
}

/** Infers the transport the way LibreChat does: `command` → stdio, `ws(s)://` → websocket, else sse. */
function librechatType(entry: PlainObject): unknown {
  if (entry.type === 'http') return 'streamable-http';
  if (entry.type !== undefined) return entry.type;
  if (entry.command !== undefined) return 'stdio';
  if (typeof entry.url === 'string' && /^wss?:/i.test(entry.url)) return 'websocket';
  return entry.url === undefined ? undefined : 'sse';
}

/**
 * Strata's `tools: { allow?, deny? }` is kept; any other `tools` (Cursor and others write a list of
 * tool descriptions there) is not Strata's filter and is dropped with a warning.
 */
function foreignTools(input: PlainObject, path: string): ConfigWarning[] {
  const tools = input.tools;
  if (tools === undefined) return [];
  if (isPlainObject(tools) && Object.keys(tools).every((key) => key === 'allow' || key === 'deny')) return [];
  delete input.tools;
  return [{ path: joinPath(path, ['tools']), message: 'not a Strata tools filter ({ allow, deny }): ignored' }];
}

const LIBRECHAT: EntryFormat = {
  lenient: true,
  map(entry, path) {
    const input: PlainObject = { ...entry };
    const warnings = foreignTools(input, path);
    const type = librechatType(entry);
    if (type !== undefined) input.type = type;
    // OAuth and on-behalf-of need the user's own authorisation.
    if ((entry.oauth ?? entry.obo) !== undefined && entry.requiresOAuth === undefined) input.requiresOAuth = true;
    return { input, warnings };
  },
};

/**
 * Parses the `mcpServers` section of a LibreChat `librechat.yaml` (other sections are ignored),
 * every field of LibreChat's `MCPOptions` kept; YAML anchors and merge keys (`<<: *defaults`)
 * resolved; `type: http` means `streamable-http`; `oauth`/`obo` imply `requiresOAuth`. Fields
 * LibreChat would strip are dropped with a warning. Issue paths start with `mcpServers.<name>`.
 */
export function parseLibreChatYaml(text: string, source: string, options: ParseOptions = {}): ParsedServers {
  const doc = readYamlDocument(text, source);
  return readServers(doc, rootObject(doc, 'a map', source), 'mcpServers', source, LIBRECHAT, options);
}

/** `${env:VAR}` (VS Code, Cursor) is `${VAR}` in Strata. */
function envReferences(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(/\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g, '$${$1}');
  if (Array.isArray(value)) return value.map(envReferences);
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, envReferences(v)]));
  return value;
}

/**
 * The Claude Desktop / Cursor / Claude Code / VS Code entry shape: `{ command, args?, env? }` or
 * `{ type?, url, headers? }`; `type: http` is `streamable-http`; without a type, `command` means
 * stdio and `url` streamable-http; `disabled: true` is `enabled: false`.
 */
function clientEntry(entry: PlainObject, path: string): MappedEntry {
  const input = envReferences(entry) as PlainObject;
  const warnings = foreignTools(input, path);
  if (entry.type === 'http') input.type = 'streamable-http';
  else if (entry.type === undefined) input.type = entry.command !== undefined ? 'stdio' : 'streamable-http';
  if (typeof entry.disabled === 'boolean') {
    input.enabled = !entry.disabled;
    delete input.disabled;
  }
  return { input, warnings };
}

const CLIENT: EntryFormat = { lenient: true, map: clientEntry };

/**
 * Parses Claude Desktop's `claude_desktop_config.json`: `mcpServers` maps a name to
 * `{ command, args?, env?, cwd? }` (stdio) or `{ type?, url, headers? }` (`type` defaults to
 * `streamable-http`; `http` is an alias). Other top-level keys are ignored; unknown entry fields
 * are dropped with a warning.
 */
export function parseClaudeDesktopJson(text: string, source: string, options: ParseOptions = {}): ParsedServers {
  const doc = readJsonDocument(text, source);
  return readServers(doc, rootObject(doc, 'a JSON object', source), 'mcpServers', source, CLIENT, options);
}

/** Parses Cursor's `.cursor/mcp.json` (`mcpServers`, as Claude Desktop; `${env:VAR}` is `${VAR}`). */
export function parseCursorJson(text: string, source: string, options: ParseOptions = {}): ParsedServers {
  const doc = readJsonDocument(text, source);
  return readServers(doc, rootObject(doc, 'a JSON object', source), 'mcpServers', source, CLIENT, options);
}

/**
 * Parses Claude Code's `.mcp.json`: `mcpServers` with `type` stdio | sse | http (stdio when
 * omitted with a `command`); `${VAR}` and `${VAR:-default}` from the environment.
 */
export function parseClaudeCodeJson(text: string, source: string, options: ParseOptions = {}): ParsedServers {
  const doc = readJsonDocument(text, source);
  return readServers(doc, rootObject(doc, 'a JSON object', source), 'mcpServers', source, CLIENT, options);
}

/** A VS Code input (`inputs[]`): what the user is prompted for. */
interface VsCodeInput {
  readonly id: string;
  readonly description?: string;
}

function vscodeInputs(root: PlainObject, source: string): Map<string, VsCodeInput> {
  const inputs = new Map<string, VsCodeInput>();
  const list = root.inputs;
  if (list === undefined) return inputs;
  if (!Array.isArray(list)) fail([{ path: 'inputs', message: 'must be a list' }], source);
  list.forEach((item: unknown, index) => {
    if (!isPlainObject(item) || typeof item.id !== 'string') {
      fail([{ path: `inputs.${index}.id`, message: 'must be a string' }], source);
    }
    const description = typeof item.description === 'string' ? item.description : undefined;
    inputs.set(item.id, description === undefined ? { id: item.id } : { id: item.id, description });
  });
  return inputs;
}

/**
 * Parses VS Code's `.vscode/mcp.json` (JSON with comments and trailing commas): `servers` (not
 * `mcpServers`) and `inputs`. Each `${input:id}` a server uses becomes a per-user variable: the
 * server gets a `customUserVars` entry `id` (titled by the input's description) and the user's
 * value replaces it at connection time. `type` stdio | http | sse, inferred when omitted.
 */
export function parseVsCodeJson(text: string, source: string, options: ParseOptions = {}): ParsedServers {
  const doc = readJsonDocument(text, source, { jsonc: true });
  const root = rootObject(doc, 'a JSON object', source);
  const inputs = vscodeInputs(root, source);
  const format: EntryFormat = {
    lenient: true,
    map(entry, path) {
      const { input, warnings = [] } = clientEntry(entry, path);
      const mapped = input as PlainObject;
      const used = new Set<string>();
      for (const match of JSON.stringify(mapped).matchAll(USER_PLACEHOLDER_PATTERN)) if (match[2]) used.add(match[2]);
      if (used.size === 0) return { input: mapped, warnings };
      const declared: PlainObject = isPlainObject(mapped.customUserVars) ? { ...mapped.customUserVars } : {};
      const extra: ConfigWarning[] = [];
      for (const id of used) {
        const known = inputs.get(id);
        if (!known)
          extra.push({ path, message: `\${input:${id}} has no entry in inputs: the user is asked for "${id}"` });
        declared[id] ??= {
          title: known?.description ?? id,
          ...(known?.description ? { description: known.description } : {}),
        };
      }
      return { input: { ...mapped, customUserVars: declared }, warnings: [...warnings, ...extra] };
    },
  };
  return readServers(doc, root, 'servers', source, format, options);
}

/** Writes servers as a `strata.yaml` document that `parseStrataYaml` reads back equal. */
export function serializeStrataYaml(servers: readonly NamedServerConfig[]): string {
  const issues: FieldIssue[] = [];
  // A Map keeps the given order; an object would move integer-like names ("10") first.
  const map = new Map<string, ServerConfig>();
  for (const { name, displayName, config } of servers) {
    const written = displayName ?? config.displayName ?? name;
    const problem = displayNameProblem(written);
    if (problem) issues.push({ path: joinPath('servers', [written]), message: `invalid server name: ${problem}` });
    else if (map.has(written)) issues.push({ path: joinPath('servers', [written]), message: 'duplicate server name' });
    else map.set(written, config);
  }
  if (issues.length > 0) throw new ValidationError('INVALID_CONFIG', issues);
  return stringify({ version: STRATA_CONFIG_VERSION, servers: map }, { lineWidth: 0 });
}
