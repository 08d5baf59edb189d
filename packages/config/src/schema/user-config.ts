import { ValidationError, type FieldIssue } from '../errors/strata-error';
import { literalHostRefusal } from '../network/address-guard';
import { checkConfigLimits } from './limits';
import { joinPath, parseServerConfig, type ServerConfig } from './server-config';

/** Options of {@link parseUserServerConfig}. */
export interface ParseUserServerConfigOptions {
  /** Let users configure stdio servers (commands run on the server's machine). @defaultValue false */
  readonly allowStdio?: boolean;
  /** Copied to `ValidationError.source`. */
  readonly source?: string;
  /** Dotted path of the config inside its document. */
  readonly pathPrefix?: string;
  /**
   * The operator's allow-list of the outbound-address guard (names, addresses, CIDR ranges): a
   * literal private address or `localhost` in `url` is refused at once unless listed.
   */
  readonly allowAddresses?: readonly string[];
}

/** `${…}` that is not a VS Code `${input:id}`: would be resolved from the server's environment. */
const ENVIRONMENT_REFERENCE = /\$\{(?!input:[A-Za-z0-9_.-]+\})([^{}]*)\}/g;

/** Every string of a JSON-like value with its path. */
function strings(value: unknown, path: readonly string[], out: Array<{ path: string[]; value: string }>): void {
  if (typeof value === 'string') out.push({ path: [...path], value });
  else if (Array.isArray(value)) value.forEach((item, index) => strings(item, [...path, String(index)], out));
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) strings(item, [...path, key], out);
  }
}

/**
 * Validates a server config a user supplied for themself (create, update, import of private
 * servers). Same schema and field errors as the operator's {@link parseServerConfig}, plus:
 *
 * - `stdio` is refused (`type`) unless `allowStdio`;
 * - `${…}` anywhere (URL, header, argument, OAuth field …) is refused naming the field and the
 *   variable: it would be resolved from the server's environment (`${JWT_SECRET}`). VS Code's
 *   `${input:id}` is a per-user variable and stays allowed;
 * - URLs are http(s) (ws(s) for websocket), as for operators;
 * - the result carries `userSupplied: true`, so no later step resolves the environment into it.
 *
 * - a `url` whose host needs no lookup to be refused (`127.0.0.1`, `[::1]`, `169.254.169.254`,
 *   `localhost`, `metadata.google.internal`) is refused at once unless `allowAddresses` lists it.
 *
 * Names are resolved and checked at save and connect time, asynchronously, by `checkOutboundUrl`.
 */
export function parseUserServerConfig(input: unknown, options: ParseUserServerConfigOptions = {}): ServerConfig {
  const prefix = options.pathPrefix ?? '';
  checkConfigLimits(input, prefix, options.source);
  const issues: FieldIssue[] = [];
  const found: Array<{ path: string[]; value: string }> = [];
  strings(input, [], found);
  for (const { path, value } of found) {
    for (const match of value.matchAll(ENVIRONMENT_REFERENCE)) {
      issues.push({
        path: joinPath(prefix, path),
        message: `\${${match[1] ?? ''}} is not allowed in a user-supplied config (it would be read from the server's environment)`,
      });
    }
  }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const type = (input as Record<string, unknown>)['type'];
    if (type === 'stdio' && options.allowStdio !== true) {
      issues.push({ path: joinPath(prefix, ['type']), message: 'stdio servers may only be configured by an operator' });
    }
    const url = (input as Record<string, unknown>)['url'];
    const refusal = typeof url === 'string' ? literalHostRefusal(url, options.allowAddresses) : undefined;
    if (refusal) issues.push({ path: joinPath(prefix, ['url']), message: refusal.message });
  }
  let config: ServerConfig | undefined;
  try {
    config = parseServerConfig(input, { pathPrefix: prefix });
  } catch (error) {
    if (!(error instanceof ValidationError) || error.code !== 'INVALID_CONFIG') throw error;
    issues.push(...error.issues);
  }
  if (issues.length > 0 || config === undefined) throw new ValidationError('INVALID_CONFIG', issues, options.source);
  return { ...config, userSupplied: true };
}
