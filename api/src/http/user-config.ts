import {
  parseServerConfig,
  PLACEHOLDER_PATTERN,
  ValidationError,
  type FieldIssue,
  type ServerConfig,
} from '@strata/config';

/**
 * The user-supplied schema: the operator schema, then what a user may not do — run a command on
 * the server (stdio) or read the server's environment (`${VAR}`). Paths start with `config`.
 * (A stricter schema with outbound-address guards belongs in @strata/config; this is the API's floor.)
 */
export function parseUserSuppliedConfig(input: unknown): ServerConfig {
  const config = parseServerConfig(input, { pathPrefix: 'config' });
  const issues: FieldIssue[] = [];
  if (config.type === 'stdio') issues.push({ path: 'config.type', message: 'users may add remote servers only' });
  const visit = (value: unknown, path: string) => {
    if (typeof value === 'string') {
      if (new RegExp(PLACEHOLDER_PATTERN.source).test(value))
        issues.push({ path, message: '${VAR} placeholders are for operator configs only' });
    } else if (Array.isArray(value)) value.forEach((item, index) => visit(item, `${path}.${index}`));
    else if (value && typeof value === 'object')
      for (const [key, item] of Object.entries(value)) visit(item, `${path}.${key}`);
  };
  visit(config, 'config');
  if (issues.length > 0) throw new ValidationError('INVALID_CONFIG', issues);
  return config;
}
