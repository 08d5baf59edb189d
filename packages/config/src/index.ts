// @strata/config — browser-safe: nothing here imports a Node built-in, Redis or the MCP transports
// (a test bundles this entry for the browser platform and fails on any such import).

export { ERROR_CODES, StrataError, ValidationError, isStrataError } from './errors/strata-error';
export type { ErrorCode, FieldIssue } from './errors/strata-error';
export { checkIntegerRanges } from './errors/check-ranges';
export type { IntegerRange } from './errors/check-ranges';

export {
  assertServerName,
  assertUserId,
  RESERVED_WORDS,
  SERVER_NAME_PATTERN,
  serverNameProblem,
  USER_ID_PATTERN,
  userIdProblem,
} from './names/names';

export {
  ALL_PERMISSIONS,
  GROUP_ID_PATTERN,
  grantSchema,
  isPublic,
  parseGrants,
  PERMISSION,
  principalKey,
  principalSchema,
} from './access/access';
export type { Grant, Principal } from './access/access';

export {
  MAX_TIMEOUT_MS,
  PLACEHOLDER_PATTERN,
  SERVER_TYPES,
  parseServerConfig,
  serverConfigSchema,
} from './schema/server-config';
export type {
  HttpServerConfig,
  ParseServerConfigOptions,
  ServerConfig,
  ServerConfigInput,
  ServerType,
  StdioServerConfig,
  WebSocketServerConfig,
} from './schema/server-config';
export { listPlaceholders, resolvePlaceholders } from './schema/placeholders';
export type { ResolvePlaceholdersOptions } from './schema/placeholders';
export { MASK, redactConfigForLog, sanitizeForBrowser } from './schema/sanitize';
export type { BrowserServerConfig } from './schema/sanitize';

export {
  STRATA_CONFIG_VERSION,
  parseClaudeDesktopJson,
  parseLibreChatYaml,
  parseStrataYaml,
  serializeStrataYaml,
} from './formats/parsers';
export type { NamedServerConfig, ParsedServers } from './formats/parsers';

export { CONNECTION_STATES, connectionScopeSchema, publicEventSchema } from './events/public-event';
export type { ConnectionScope, ConnectionStateName, PublicEvent, PublicEventType } from './events/public-event';
