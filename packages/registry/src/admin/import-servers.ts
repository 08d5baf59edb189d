import {
  assertServerName,
  assertUserId,
  parseGrants,
  parseServerConfig,
  StrataError,
  userIdProblem,
  ValidationError,
  type ErrorCode,
  type FieldIssue,
  type NamedServerConfig,
  type ServerConfig,
} from '@strata/config';
import { canonicalJson } from '../runtime/content-hash';
import type { ServerAccess, StrataAdmin } from './strata-admin';

/** What an import did (or, with `dryRun`, would do) with one entry. */
export type ImportOutcome = 'created' | 'updated' | 'unchanged' | 'refused';

/** Why an entry was refused: the {@link StrataError}'s code and message, and its field issues when it had any. */
export interface ImportEntryError {
  readonly code: ErrorCode;
  readonly message: string;
  /** Every bad field (`INVALID_CONFIG`, `INVALID_NAME`); paths start with `config` or `name`. */
  readonly issues?: readonly FieldIssue[];
}

/** One entry of the import, in the input's order. */
export interface ImportEntryResult {
  readonly name: string;
  readonly outcome: ImportOutcome;
  /** Set exactly when `outcome` is `refused`. */
  readonly error?: ImportEntryError;
}

/** Every entry's result, in input order, and how many of each outcome. */
export interface ImportServersResult {
  readonly results: readonly ImportEntryResult[];
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly refused: number;
}

/** How {@link importServers} writes the servers it creates. */
export interface ImportServersOptions {
  /** The user id recorded as the author of every server the import creates (existing servers keep theirs). */
  readonly owner: string;
  /**
   * Who may use the servers the import creates: everyone (the shared tier), the listed users, or
   * explicit grants — as {@link StrataAdmin.createServer} takes it. Servers that exist already keep
   * their access: a re-import never changes access (use {@link StrataAdmin.setAccess} for that).
   */
  readonly access: ServerAccess;
  /** Computes the same outcomes without writing anything. @defaultValue false */
  readonly dryRun?: boolean;
  /**
   * True when `name` is an app-tier (config file) server, e.g.
   * `(name) => strata.registry.isAppServer(name)`. Only a dry run uses it: a real run's create is
   * refused `NAME_RESERVED` by the registry itself. Without it a dry run cannot see the app tier and
   * reports such an entry `created` although the real run refuses it.
   */
  readonly isAppServer?: (name: string) => boolean | Promise<boolean>;
}

/**
 * Codes that concern one entry: it is refused and the import goes on. Any other error (the
 * database or Redis unavailable, a closed instance, a bug) rejects the whole import.
 */
const ENTRY_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_CONFIG',
  'INVALID_NAME',
  'NAME_RESERVED',
  'CONFLICT',
  'NOT_FOUND',
]);

/**
 * Imports servers read from a config file (the output of `parseLibreChatYaml`,
 * `parseClaudeDesktopJson` or `parseStrataYaml`) into the database through `admin`; the API and
 * the CLI both call it.
 *
 * Entries run one after another, in order, and each is one of:
 * - `created`: no database server has the name; created with `options.access`, authored by `options.owner`.
 * - `updated`: a server has the name and a different config (compared canonically, defaults filled
 *   in, key order ignored); it gets the new config and a new version. Its access and author are
 *   left as they are.
 * - `unchanged`: a server has the name and the same config; nothing is written, the version stays.
 * - `refused`: the entry is bad and the others still import — `INVALID_NAME`, `INVALID_CONFIG`,
 *   `NAME_RESERVED` (an app-tier name), `CONFLICT` (an earlier entry of this import has the same key
 *   — the message names both names as written — or it was created concurrently), `NOT_FOUND`
 *   (deleted concurrently before its update).
 *
 * `name` is the key (the slug the parsers derive from the name as written); the name as written
 * travels in `displayName` and `config.displayName`.
 *
 * So an import is idempotent: the same file twice creates and updates nothing the second time, and
 * no name is ever duplicated. An import that rejects part-way (an error that is not about one
 * entry, e.g. the database unavailable) has written the entries before it; running it again
 * finishes the job.
 *
 * `dryRun` reads (`admin.getServer`) and compares exactly as above but writes nothing. It reports
 * an app-tier name as `refused` `NAME_RESERVED` only when `options.isAppServer` is given, and
 * `created` otherwise.
 *
 * Throws before anything is written when `options` are bad: `INVALID_USER_ID` (owner or
 * `access.userIds`), `INVALID_ACCESS` (`access.grants`, or an access of no known shape),
 * `INVALID_OPTIONS` (`parsed.servers` not a list).
 */
export async function importServers(
  admin: StrataAdmin,
  parsed: { readonly servers: readonly NamedServerConfig[] },
  options: ImportServersOptions,
): Promise<ImportServersResult> {
  checkOptions(parsed, options);
  /** Key (slug) → the name as written of the entry that took it. */
  const seen = new Map<string, string>();
  const results: ImportEntryResult[] = [];
  for (const entry of parsed.servers) {
    results.push(await importEntry(admin, entry, options, seen));
  }
  const count = (outcome: ImportOutcome) => results.filter((result) => result.outcome === outcome).length;
  return {
    results,
    created: count('created'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    refused: count('refused'),
  };
}

async function importEntry(
  admin: StrataAdmin,
  entry: NamedServerConfig,
  options: ImportServersOptions,
  seen: Map<string, string>,
): Promise<ImportEntryResult> {
  const { name } = entry;
  try {
    assertServerName(name);
    const written = entry.displayName ?? entry.config.displayName ?? name;
    const first = seen.get(name);
    if (first !== undefined) {
      throw new StrataError('CONFLICT', `"${first}" and "${written}" have the same key "${name}" in this import`);
    }
    seen.set(name, written);
    const config = parseServerConfig(entry.config, { pathPrefix: 'config' });
    const existing = await admin.getServer(name);
    if (existing) {
      if (sameConfig(existing.config, config)) return { name, outcome: 'unchanged' };
      if (!options.dryRun) await admin.updateServer(name, config);
      return { name, outcome: 'updated' };
    }
    if (options.dryRun) {
      if (await options.isAppServer?.(name)) {
        throw new StrataError(
          'NAME_RESERVED',
          `"${name}" is an app-tier server name (config file); choose another name`,
        );
      }
    } else {
      await admin.createServer(name, config, options.access, options.owner);
    }
    return { name, outcome: 'created' };
  } catch (error) {
    if (!(error instanceof StrataError) || !ENTRY_ERROR_CODES.has(error.code)) throw error;
    return { name: String(name), outcome: 'refused', error: entryError(error) };
  }
}

/** Equal configs once both are normalised (defaults filled in) and written canonically. */
function sameConfig(stored: ServerConfig, incoming: ServerConfig): boolean {
  return canonicalJson(normalised(stored)) === canonicalJson(incoming);
}

/** A stored config parsed again (a default added since it was written counts as present); as stored if it no longer parses. */
function normalised(config: ServerConfig): ServerConfig {
  try {
    return parseServerConfig(config);
  } catch {
    return config;
  }
}

function entryError(error: StrataError): ImportEntryError {
  const base = { code: error.code, message: error.message };
  return error instanceof ValidationError && error.issues.length > 0 ? { ...base, issues: error.issues } : base;
}

/** Refuses bad options before anything is read or written (else every entry would fail alike). */
function checkOptions(parsed: { readonly servers: readonly NamedServerConfig[] }, options: ImportServersOptions): void {
  if (!Array.isArray(parsed.servers)) {
    throw new ValidationError('INVALID_OPTIONS', [{ path: 'servers', message: 'must be a list' }]);
  }
  assertUserId(options.owner, 'owner');
  const access: unknown = options.access;
  if (typeof access !== 'object' || access === null) {
    throw new ValidationError('INVALID_ACCESS', [{ path: 'access', message: 'must be an object' }]);
  }
  if ('everyone' in access) {
    if (access.everyone !== true) {
      throw new ValidationError('INVALID_ACCESS', [{ path: 'access.everyone', message: 'must be true' }]);
    }
  } else if ('userIds' in access) {
    const userIds = access.userIds;
    if (!Array.isArray(userIds)) {
      throw new ValidationError('INVALID_USER_ID', [{ path: 'access.userIds', message: 'must be a list' }]);
    }
    const issues = userIds.flatMap((userId: unknown, index) => {
      const problem = userIdProblem(userId);
      return problem ? [{ path: `access.userIds.${index}`, message: problem }] : [];
    });
    if (issues.length > 0) throw new ValidationError('INVALID_USER_ID', issues);
  } else if ('grants' in access) {
    parseGrants(access.grants, 'access.grants');
  } else {
    throw new ValidationError('INVALID_ACCESS', [
      { path: 'access', message: 'must be { everyone: true }, { userIds } or { grants }' },
    ]);
  }
}
