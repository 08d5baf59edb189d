import { isSecretHeaderName, SECRET_NAME } from './secrets';
import { PLACEHOLDER_PATTERN, type ServerConfig } from './server-config';

/** What replaces a hidden value. */
export const MASK = '***';

/** Fields a browser may see, whatever the transport. */
interface BrowserCommonFields {
  title?: string;
  description?: string;
  iconPath?: string;
  /** The name as written, when it differs from the slug that keys the server. */
  displayName?: string;
  timeout?: number;
  initTimeout?: number;
  /** LibreChat: shown in the chat menu. */
  chatMenu?: boolean;
  /** LibreChat: `true` = the server's own instructions, a string = these. */
  serverInstructions?: boolean | string;
  /** Variables each user fills in (titles and descriptions only). */
  customUserVars?: Record<string, { title: string; description?: string }>;
  /** The server needs per-user authorisation (`oauth`, `obo`, `apiKey` from the user, or `requiresOAuth`). */
  needsUserAuth: boolean;
  startup: boolean;
  requiresOAuth: boolean;
  perSession: boolean;
  enabled: boolean;
  tools?: { allow?: string[]; deny?: string[] };
}

/**
 * A server config safe to send to a browser or a log: no env values, no header values, no URL
 * credentials, query values or fragments, and secret-looking command arguments masked.
 */
export type BrowserServerConfig = BrowserCommonFields &
  (
    | { type: 'stdio'; command: string; args: string[]; envKeys: string[] }
    | { type: 'streamable-http' | 'sse'; url: string; headerNames: string[]; secretHeaderNames: string[] }
    | { type: 'websocket'; url: string }
  );

/** Well-known credential formats: OpenAI/Stripe, GitHub, GitLab, Slack, AWS, Google, JWT. */
const SECRET_PREFIX =
  /^(?:sk|pk|rk)[-_][A-Za-z0-9_-]{8,}|^(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{8,}|^github_pat_|^glpat-|^xox[abprs]-|^(?:AKIA|ASIA)[A-Z0-9]{12,}|^AIza[0-9A-Za-z_-]{20,}|^ya29\.|^eyJ[A-Za-z0-9_-]{10,}\./;
/** `scheme://user:pass@` or `scheme://token@`. */
const URL_WITH_USERINFO = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\s]*@/;

/** Whether a value on its own looks like a credential (token formats, long random strings). */
export function looksLikeSecret(value: string): boolean {
  if (SECRET_PREFIX.test(value) || URL_WITH_USERINFO.test(value)) return true;
  if (/^[a-f0-9]{32,}$/i.test(value)) return true;
  return /^[A-Za-z0-9_+=.-]{24,}$/.test(value) && /[a-z]/.test(value) && /[A-Z]/.test(value) && /\d/.test(value);
}

function hasPlaceholder(value: string): boolean {
  return value.replace(PLACEHOLDER_PATTERN, '') !== value;
}

/** `--token=x`, `API_KEY=x`: an assignment to a secret-looking name. */
function isSecretAssignment(arg: string): boolean {
  const match = /^-{0,2}([A-Za-z_][A-Za-z0-9_.-]*)=/.exec(arg);
  return match?.[1] !== undefined && SECRET_NAME.test(match[1]);
}

/** `--api-key` followed by its value as the next argument. */
function isSecretFlag(arg: string): boolean {
  return /^-{1,2}[A-Za-z]/.test(arg) && !arg.includes('=') && SECRET_NAME.test(arg.replace(/^-+/, ''));
}

/**
 * Command arguments with every argument that holds a placeholder or looks like a secret
 * (`--token=...`, the value after `--api-key`, `KEY=value`, token formats) replaced by `***`.
 */
export function maskArgs(args: readonly string[]): string[] {
  return args.map((arg, index) => {
    const previous = index > 0 ? args[index - 1] : undefined;
    const afterSecretFlag = previous !== undefined && isSecretFlag(previous) && !arg.startsWith('--');
    const secret = afterSecretFlag || hasPlaceholder(arg) || isSecretAssignment(arg) || looksLikeSecret(arg);
    return secret ? MASK : arg;
  });
}

function parsesWithoutCredentials(url: string): boolean {
  for (const dummy of ['x', '1']) {
    const probe = url.replace(PLACEHOLDER_PATTERN, dummy);
    if (URL.canParse(probe)) {
      const parsed = new URL(probe);
      return parsed.username === '' && parsed.password === '';
    }
  }
  return false;
}

/**
 * A URL without credentials (`user:pass@`) or fragment, with every query value and every
 * secret-looking path segment replaced by `***`. Placeholders in what is kept stay as written.
 * A URL this cannot take apart safely becomes `scheme://***`.
 */
export function sanitizeUrl(url: string): string {
  const withoutFragment = url.split('#', 1)[0] ?? '';
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/\\?#]*)(.*)$/s.exec(withoutFragment);
  const fallback = `${/^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url)?.[0] ?? ''}//${MASK}`;
  if (!match) return fallback;
  const [, scheme = '', authority = '', rest = ''] = match;
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const queryAt = rest.indexOf('?');
  const path = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const safePath = path
    .split('/')
    .map((segment) => (looksLikeSecret(segment) ? MASK : segment))
    .join('/');
  let safeQuery = '';
  if (queryAt !== -1) {
    const params = rest.slice(queryAt + 1).split('&');
    safeQuery = `?${params.map((param) => (param.includes('=') ? `${param.split('=', 1)[0]}=${MASK}` : param && MASK)).join('&')}`;
  }
  const safe = `${scheme}${host}${safePath}${safeQuery}`;
  return parsesWithoutCredentials(safe) ? safe : fallback;
}

function commonFields(config: ServerConfig): BrowserCommonFields {
  const view: BrowserCommonFields = {
    startup: config.startup,
    requiresOAuth: config.requiresOAuth,
    perSession: config.perSession,
    enabled: config.enabled,
    needsUserAuth:
      config.requiresOAuth ||
      config.oauth !== undefined ||
      config.obo !== undefined ||
      config.apiKey?.source === 'user',
  };
  if (config.displayName !== undefined) view.displayName = config.displayName;
  if (config.chatMenu !== undefined) view.chatMenu = config.chatMenu;
  if (config.serverInstructions !== undefined) view.serverInstructions = config.serverInstructions;
  if (config.customUserVars !== undefined) {
    view.customUserVars = Object.fromEntries(
      Object.entries(config.customUserVars).map(([name, { title, description }]) => [
        name,
        description === undefined ? { title } : { title, description },
      ]),
    );
  }
  if (config.title !== undefined) view.title = config.title;
  if (config.description !== undefined) view.description = config.description;
  if (config.iconPath !== undefined) view.iconPath = config.iconPath;
  if (config.timeout !== undefined) view.timeout = config.timeout;
  if (config.initTimeout !== undefined) view.initTimeout = config.initTimeout;
  if (config.tools) {
    view.tools = {};
    if (config.tools.allow) view.tools.allow = [...config.tools.allow];
    if (config.tools.deny) view.tools.deny = [...config.tools.deny];
  }
  return view;
}

/**
 * The view of a server config a browser may see: stdio keeps `command` and masked `args` and lists
 * only env variable names (`envKeys`); URL transports keep a sanitized `url` and list only header
 * names (`headerNames`, and `secretHeaderNames`: those whose value is a credential). `cwd`, `oauth`,
 * `oauth_headers`, `apiKey` and `obo` are left out (`needsUserAuth` says one of them is set). Built from an allow-list, so new fields stay hidden.
 */
export function sanitizeForBrowser(config: ServerConfig): BrowserServerConfig {
  const common = commonFields(config);
  switch (config.type) {
    case 'stdio':
      return {
        ...common,
        type: 'stdio',
        command: config.command,
        args: maskArgs(config.args ?? []),
        envKeys: Object.keys(config.env ?? {}),
      };
    case 'streamable-http':
    case 'sse':
      return {
        ...common,
        type: config.type,
        url: sanitizeUrl(config.url),
        headerNames: Object.keys(config.headers ?? {}),
        secretHeaderNames: Object.keys(config.headers ?? {}).filter(isSecretHeaderName),
      };
    case 'websocket':
      return { ...common, type: 'websocket', url: sanitizeUrl(config.url) };
  }
}

/** The same redactions as `sanitizeForBrowser`, for structured log fields. */
export function redactConfigForLog(config: ServerConfig): BrowserServerConfig {
  return sanitizeForBrowser(config);
}
