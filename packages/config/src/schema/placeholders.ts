import { ValidationError, type FieldIssue } from '../errors/strata-error';
import { joinPath, PLACEHOLDER_PATTERN, type ServerConfig } from './server-config';
import { assertResolvedUrl, connectionStringFields, mapConnectionStrings } from './user-placeholders';

/** Names of the `${VAR}` placeholders a config uses, each once, in order of first use. */
export function listPlaceholders(config: ServerConfig): string[] {
  const names = new Set<string>();
  for (const { value } of connectionStringFields(config)) {
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
 * A deep copy of `config` with every `${VAR}` in command, args, env values, cwd, url, header
 * values, OAuth strings, OAuth headers and `apiKey.key` replaced by `env[VAR]` (one pass: a value is never scanned again); `${VAR:-default}` takes
 * `default` when `VAR` is unset or empty (as in a shell). A config marked `userSupplied` is never
 * resolved: any `${VAR}` in it throws `INVALID_CONFIG` (whatever `env` holds). A variable without a
 * value throws `ValidationError('INVALID_CONFIG')` naming the field; messages never hold a value.
 */
export function resolvePlaceholders(
  config: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
  options: ResolvePlaceholdersOptions = {},
): ServerConfig {
  if (config.userSupplied === true) {
    // A user's config never reads the server's environment, even one written to the store directly.
    // Each refusal names the variables it refused (a name, never a value).
    const used = connectionStringFields(config).flatMap(({ path, value }) => {
      const names = [...new Set([...value.matchAll(PLACEHOLDER_PATTERN)].map((match) => `\${${match[1] ?? ''}}`))];
      return names.length > 0 ? [{ path, names }] : [];
    });
    if (used.length > 0) {
      throw new ValidationError(
        'INVALID_CONFIG',
        used.map(({ path, names }) => ({
          path: joinPath(options.pathPrefix ?? '', [path]),
          message: `${names.join(', ')}: environment placeholders are never resolved in a user-supplied config`,
        })),
        options.source,
      );
    }
    return structuredClone(config);
  }
  const issues: FieldIssue[] = [];
  const resolved = new Map<string, string>();
  for (const { path, value } of connectionStringFields(config)) {
    const missing = new Set<string>();
    const result = value.replace(PLACEHOLDER_PATTERN, (whole, name: string, fallback: string | undefined) => {
      const replacement = Object.hasOwn(env, name) ? env[name] : undefined;
      if (typeof replacement === 'string' && (fallback === undefined || replacement !== '')) return replacement;
      if (fallback !== undefined) return fallback;
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
  const copy = mapConnectionStrings(config, (path, value) => resolved.get(path) ?? value);
  assertResolvedUrl(copy, options);
  return copy;
}
