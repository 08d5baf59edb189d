import {
  assertServerName,
  GROUP_ID_PATTERN,
  isPublic,
  PERMISSION,
  RESERVED_WORDS,
  StrataError,
  userIdProblem,
  ValidationError,
  type Grant,
} from '@strata/config';
import { directUsers, type ServerDefinition } from '../private/access-repository';
import type { AccessRepository } from '../private/access-repository';
import type { AccessAdmin } from './access-admin';
import type { ServerOrigin } from '../model/stored-server';

/**
 * Who may use a server: everyone (the shared tier), the listed users (the private tier), or an
 * explicit list of grants to users, groups and `public` with permission bits.
 */
export type ServerAccess =
  { readonly everyone: true } | { readonly userIds: readonly string[] } | { readonly grants: readonly Grant[] };

/** A database server as an admin sees it (app-tier servers are the config file's, not the admin's). */
export interface AdminServer {
  readonly name: string;
  /** Derived from the grants: a `public` VIEW grant puts it in the shared tier. */
  readonly tier: 'shared' | 'private';
  readonly config: ServerDefinition['config'];
  readonly version: number;
  readonly updatedAt: string;
  readonly author: string | undefined;
  /** `everyone` for a shared server, else the users with a direct VIEW grant. */
  readonly access: { readonly everyone: true } | { readonly userIds: readonly string[] };
  /** Every grant (users, groups, public) with its permission bits. */
  readonly grants: readonly Grant[];
}

/**
 * Every admin action in one place, one naming scheme (`<verb>Server`, `setAccess`, `promote`,
 * `demote`, `<verb>Members`), so an API maps one route to one call. Every write goes to the
 * database first and reaches the caches through {@link AccessAdmin}; callers never need to know
 * which tier holds a name.
 */
export class StrataAdmin {
  constructor(
    /** The building block behind every write (advanced use, tests). */
    readonly access: AccessAdmin,
    private readonly repository: AccessRepository,
  ) {}

  /**
   * Creates a server: shared with everyone, private to users, or with explicit grants. `origin:
   * 'user'` for a server a user supplied (see {@link AccessAdmin.createServer}).
   */
  async createServer(
    name: string,
    config: unknown,
    access: ServerAccess,
    author?: string,
    origin?: ServerOrigin,
  ): Promise<AdminServer> {
    if (author !== undefined) assertText(author, 'author');
    return view(await this.access.createServer(name, config, grantsFor(access), author, origin));
  }

  /** The server under `name` in either database tier; undefined when there is none. */
  async getServer(name: string): Promise<AdminServer | undefined> {
    assertServerName(name);
    const definition = await this.repository.get(name);
    return definition ? view(definition) : undefined;
  }

  /** Every database server. */
  async listServers(): Promise<AdminServer[]> {
    return (await this.repository.list()).map(view);
  }

  /** Replaces a server's config, in whichever tier it is; `NOT_FOUND` when there is none. */
  async updateServer(name: string, config: unknown): Promise<AdminServer> {
    return view(await this.access.updateServer(name, config));
  }

  /** Deletes a server from whichever tier holds it; false when there was none. */
  async deleteServer(name: string): Promise<boolean> {
    return (await this.access.removeServer(name)) !== undefined;
  }

  /**
   * Who may use the server. `everyone` promotes a private server; a user list demotes a shared
   * one or re-shares a private one; `grants` sets them exactly (one database step).
   */
  async setAccess(name: string, access: ServerAccess): Promise<AdminServer> {
    assertServerName(name);
    accessKind(access);
    const current = await this.access.require(name);
    const shared = isPublic(current.grants);
    if ('everyone' in access) {
      if (!shared) await this.access.promote(name);
    } else if ('userIds' in access) {
      if (shared) await this.access.demote(name, access.userIds);
      else await this.access.setAccess(name, access.userIds);
    } else {
      await this.access.setGrants(name, access.grants);
    }
    return view(await this.access.require(name));
  }

  /** Private → shared (visible to everyone). */
  async promote(name: string): Promise<AdminServer> {
    return view(await this.access.promote(name));
  }

  /** Shared → private to `userIds`. */
  async demote(name: string, userIds: readonly string[]): Promise<AdminServer> {
    await this.access.demote(name, userIds);
    return view(await this.access.require(name));
  }

  /** Creates a group (members gain nothing until the group is granted a server). */
  async createGroup(id: string, name: string, members: readonly string[] = []): Promise<void> {
    assertGroupId(id);
    assertText(name, 'name');
    assertUserIds(members, 'members');
    return this.repository.createGroup(id, name, members);
  }

  /** Adds members to a group: they gain its servers on every instance. */
  async addMembers(groupId: string, userIds: readonly string[]): Promise<string[]> {
    assertGroupId(groupId);
    return this.access.addMembers(groupId, userIds);
  }

  /** Removes members from a group: they lose its servers on every instance. */
  async removeMembers(groupId: string, userIds: readonly string[]): Promise<string[]> {
    assertGroupId(groupId);
    return this.access.removeMembers(groupId, userIds);
  }

  /** Deletes a group: its members lose its servers. */
  async deleteGroup(groupId: string): Promise<boolean> {
    assertGroupId(groupId);
    return this.access.removeGroup(groupId);
  }

  /** Drops one user's cached private servers on every instance (the next read reloads them). */
  invalidateUser(userId: string): Promise<void> {
    return this.access.invalidateUser(userId);
  }
}

/** Free text (an author, a group's display name): 1-256 characters, no control character. */
function assertText(value: unknown, field: string): asserts value is string {
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value.length === 0 || value.length > 256 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new StrataError('INVALID_INPUT', `${field}: must be 1-256 characters of text without control characters`);
  }
}

function assertGroupId(groupId: unknown): asserts groupId is string {
  if (typeof groupId !== 'string' || !GROUP_ID_PATTERN.test(groupId) || RESERVED_WORDS.has(groupId)) {
    throw new StrataError(
      'INVALID_INPUT',
      'groupId: must be 1-128 letters, digits, "_", ".", ":" or "-", not a reserved word',
    );
  }
}

function assertUserIds(userIds: unknown, field: string): void {
  const problem = Array.isArray(userIds)
    ? userIds.map((userId, index) => [index, userIdProblem(userId)] as const).find(([, found]) => found)
    : ([undefined, 'must be an array'] as const);
  if (problem) {
    const [index, message] = problem;
    throw new ValidationError('INVALID_USER_ID', [
      { path: index === undefined ? field : `${field}.${index}`, message: message ?? '' },
    ]);
  }
}

/** Which form of {@link ServerAccess} this is; anything else is refused naming the field. */
function accessKind(access: unknown): 'everyone' | 'userIds' | 'grants' {
  if (typeof access === 'object' && access !== null && !Array.isArray(access)) {
    const keys = Object.keys(access);
    const record = access as Record<string, unknown>;
    if (keys.length === 1 && record['everyone'] === true) return 'everyone';
    if (keys.length === 1 && Array.isArray(record['userIds'])) return 'userIds';
    if (keys.length === 1 && Array.isArray(record['grants'])) return 'grants';
  }
  throw new ValidationError('INVALID_ACCESS', [
    { path: 'access', message: 'must be { everyone: true }, { userIds: [...] } or { grants: [...] }' },
  ]);
}

function grantsFor(access: ServerAccess): readonly Grant[] {
  accessKind(access);
  if ('everyone' in access) return [{ principal: { type: 'public' }, bits: PERMISSION.VIEW }];
  if ('userIds' in access)
    return [...new Set(access.userIds)].map((id) => ({ principal: { type: 'user', id }, bits: PERMISSION.VIEW }));
  return access.grants;
}

function view(definition: ServerDefinition): AdminServer {
  const { name, config, version, updatedAt, author, grants } = definition;
  const shared = isPublic(grants);
  return {
    name,
    tier: shared ? 'shared' : 'private',
    config,
    version,
    updatedAt,
    author,
    access: shared ? { everyone: true } : { userIds: directUsers(grants) },
    grants,
  };
}
