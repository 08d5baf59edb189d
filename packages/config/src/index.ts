// @strata/config — browser-safe: nothing here imports a Node built-in, Redis or the MCP transports
// (a test bundles this entry for the browser platform and fails on any such import).

export {
  AddressRefusedError,
  ERROR_CODES,
  LimitError,
  StrataError,
  UnresolvedPlaceholderError,
  ValidationError,
  isStrataError,
} from './errors/strata-error';
export type { AddressRefusalReason, ErrorCode, FieldIssue, ValidationErrorCode } from './errors/strata-error';
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
  assertDisplayName,
  displayNameProblem,
  MAX_DISPLAY_NAME_LENGTH,
  MAX_SLUG_LENGTH,
  shortHash,
  slugify,
} from './names/display-names';

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
  ANY_PLACEHOLDER_PATTERN,
  MAX_TIMEOUT_MS,
  PLACEHOLDER_PATTERN,
  USER_VAR_NAME_PATTERN,
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
export {
  connectionStringFields,
  listUserPlaceholders,
  resolveUserPlaceholders,
  USER_API_KEY_VARIABLE,
  USER_CONTEXT_FIELDS,
  USER_PLACEHOLDER_PATTERN,
  USER_PLACEHOLDERS,
  userPlaceholderKind,
  usesPerUserPlaceholders,
} from './schema/user-placeholders';
export type {
  ConfigStringField,
  ResolveUserPlaceholdersOptions,
  UserContext,
  UserContextField,
  UserPlaceholderKind,
  UserPlaceholderUse,
} from './schema/user-placeholders';
export {
  checkConfigLimits,
  checkPrivateServerCount,
  checkToolArguments,
  LIMITS,
  MAX_ARG_LENGTH,
  MAX_ARGS,
  MAX_CONFIG_BYTES,
  MAX_ENV_ENTRIES,
  MAX_FILE_BYTES,
  MAX_HEADER_ENTRIES,
  MAX_PRIVATE_SERVERS_PER_USER,
  MAX_RECORD_VALUE_LENGTH,
  MAX_SERVERS_PER_FILE,
  MAX_TOOL_ARGUMENTS_BYTES,
} from './schema/limits';
export { isSecretHeaderName, secretFieldPaths } from './schema/secrets';
export { parseUserServerConfig } from './schema/user-config';
export type { ParseUserServerConfigOptions } from './schema/user-config';
export type { ResolvePlaceholdersOptions } from './schema/placeholders';
export { MASK, redactConfigForLog, sanitizeForBrowser } from './schema/sanitize';
export type { BrowserServerConfig } from './schema/sanitize';

export {
  STRATA_CONFIG_VERSION,
  parseClaudeCodeJson,
  parseClaudeDesktopJson,
  parseCursorJson,
  parseLibreChatYaml,
  parseStrataYaml,
  parseVsCodeJson,
  serializeStrataYaml,
} from './formats/parsers';
export type { ConfigWarning, EntryError, NamedServerConfig, ParseOptions, ParsedServers } from './formats/parsers';

export {
  addressProblem,
  checkOutboundUrl,
  literalHostRefusal,
  METADATA_ADDRESSES,
  METADATA_HOST_NAMES,
} from './network/address-guard';
export type { HostRefusal, HostResolver, OutboundDecision, OutboundGuardOptions } from './network/address-guard';

export { CONNECTION_STATES, connectionScopeSchema, publicEventSchema } from './events/public-event';
export type { ConnectionScope, ConnectionStateName, PublicEvent, PublicEventType } from './events/public-event';
