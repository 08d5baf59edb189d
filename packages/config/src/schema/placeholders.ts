import { ValidationError, type FieldIssue } from '../errors/strata-error';
import { joinPath, PLACEHOLDER_PATTERN, type ServerConfig } from './server-config';

/** A string field of a config where placeholders are resolved. */
interface PlaceholderField {
  /** Path relative to the config, e.g. `args.2` or `headers.Authorization`. */
  readonly path: string;
  readonly value: string;
}

function recordFields(name: string, record: Record<string, string> | undefined): PlaceholderField[] {
  return Object.entries(record ?? {}).map(([key, value]) => ({ path: joinPath(name, [key]), value }));
}

/** The fields placeholders may appear in: command, args, env values, cwd, url, header values. */
function placeholderFields(config: ServerConfig): PlaceholderField[] {
  if (config.type === 'stdio') {
    return [
      { path: 'command', value: config.command },
      ...(config.args ?? []).map((value, index) => ({ path: `args.${index}`, value })),
      ...recordFields('env', config.env),
      ...(config.cwd === undefined ? [] : [{ path: 'cwd', value: config.cwd }]),
    ];
  }
  const url = { path: 'url', value: config.url };
  return config.type === 'websocket' ? [url] : [url, ...recordFields('headers', config.headers)];
}

/** Names of the `${VAR}` placeholders a config uses, each once, in order of first use. */
export function listPlaceholders(config: ServerConfig): string[] {
  const names = new Set<string>();
  for (const { value } of placeholderFields(config)) {
    for (const match of value.matchAll(PLACEHOLDER_PATTERN)) if (match[1]) names.add(match[1]);
  }
  return [...names];
}

export interface ResolvePlaceholdersOptions {
  /** Copied to `ValidationError.source`. */
  source?: string;
  /** Prefix of issue paths, e.g. `servers.github`. */
  pathPrefix?: string;
}

/**
 * A deep copy of `config` with every `${VAR}` in command, args, env values, cwd, url and header
 * values replaced by `env[VAR]` (one pass: a value is never scanned again). A variable without a
 * value throws `ValidationError('INVALID_CONFIG')` naming the field; messages never hold a value.
 */
export function resolvePlaceholders(
  config: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
  options: ResolvePlaceholdersOptions = {},
): ServerConfig {
  const issues: FieldIssue[] = [];
  const resolved = new Map<string, string>();
  for (const { path, value } of placeholderFields(config)) {
    const missing = new Set<string>();
    const result = value.replace(PLACEHOLDER_PATTERN, (whole, name: string) => {
      const replacement = Object.hasOwn(env, name) ? env[name] : undefined;
      if (typeof replacement === 'string') return replacement;
      missing.add(name);
      return whole;
    });
    for (const name of missing) {
      issues.push({
        path: joinPath(options.pathPrefix ?? '', [path]),
        message: `placeholder \${${name}} has no value`,
      });
    }
    resolved.set(path, result);
  }
  if (issues.length > 0) throw new ValidationError('INVALID_CONFIG', issues, options.source);
  const get = (path: string, fallback: string) => resolved.get(path) ?? fallback;
  const mapRecord = (name: string, record: Record<string, string>) =>
    Object.fromEntries(Object.entries(record).map(([key, value]) => [key, get(joinPath(name, [key]), value)]));
  const copy = structuredClone(config);
  if (copy.type === 'stdio') {
    copy.command = get('command', copy.command);
    if (copy.args) copy.args = copy.args.map((value, index) => get(`args.${index}`, value));
    if (copy.env) copy.env = mapRecord('env', copy.env);
    if (copy.cwd !== undefined) copy.cwd = get('cwd', copy.cwd);
  } else {
    copy.url = get('url', copy.url);
    if (copy.type !== 'websocket' && copy.headers) copy.headers = mapRecord('headers', copy.headers);
  }
  return copy;
}
