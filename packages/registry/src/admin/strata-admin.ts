import { assertServerName, StrataError } from '@strata/config';
import type { StoredServer } from '../model/stored-server';
import type { AccessRepository, PrivateServerDefinition } from '../private/access-repository';
import type { McpRegistry } from '../registry/registry';
import type { AccessAdmin } from './access-admin';

/** Who may use a server: everyone (the shared tier) or the listed users (the private tier). */
export type ServerAccess = { readonly everyone: true } | { readonly userIds: readonly string[] };

/** A database server as an admin sees it (app-tier servers are the config file's, not the admin's). */
export interface AdminServer {
  readonly name: string;
  readonly tier: 'shared' | 'private';
  readonly config: StoredServer['config'];
  readonly version: number;
  readonly updatedAt: string;
  /** `everyone` for a shared server, else the users it is shared with. */
  readonly access: ServerAccess;
}

/**
 * Every admin action in one place, one naming scheme (`<verb>Server`, `setAccess`, `promote`,
 * `demote`), so an API maps one route to one call. Shared-tier writes go to the registry,
 * private-tier writes to the access admin; callers never need to know which tier holds a name.
 */
export class StrataAdmin {
  constructor(
    private readonly registry: McpRegistry,
    /** The private-tier building block behind `setAccess`, `promote` and `demote` (advanced use, tests). */
    readonly access: AccessAdmin,
    private readonly repository: AccessRepository,
  ) {}

  /** Creates a server: shared with everyone, or private to `access.userIds`. */
  async createServer(name: string, config: unknown, access: ServerAccess): Promise<AdminServer> {
    if ('everyone' in access) return fromShared(await this.registry.addSharedServer(name, config));
    return fromPrivate(await this.access.addPrivateServer(name, config, access.userIds));
  }

  /** The server under `name` in either database tier; undefined when there is none. */
  async getServer(name: string): Promise<AdminServer | undefined> {
    assertServerName(name);
    const own = await this.repository.get(name);
    if (own) return fromPrivate(own);
    const found = await this.registry.getServer(name, { includeDisabled: true });
    return found?.tier === 'shared' ? fromShared(found) : undefined;
  }

  /** Replaces a server's config, in whichever database tier it is; `NOT_FOUND` when it is in none. */
  async updateServer(name: string, config: unknown): Promise<AdminServer> {
    await this.access.updateServer(name, config);
    return this.require(name);
  }

  /** Deletes a server from whichever database tier holds it; false when there was none. */
  async deleteServer(name: string): Promise<boolean> {
    if (await this.access.removePrivateServer(name)) return true;
    return this.registry.removeSharedServer(name);
  }

  /** Who may use the server: `everyone` promotes a private server, a user list demotes a shared one or re-shares a private one. */
  async setAccess(name: string, access: ServerAccess): Promise<AdminServer> {
    const current = await this.require(name);
    if ('everyone' in access) {
      if (current.tier === 'private') await this.access.promote(name);
    } else if (current.tier === 'shared') {
      await this.access.demote(name, access.userIds);
    } else {
      await this.access.setAccess(name, access.userIds);
    }
    return this.require(name);
  }

  /** Private → shared (visible to everyone). */
  async promote(name: string): Promise<AdminServer> {
    await this.access.promote(name);
    return this.require(name);
  }

  /** Shared → private to `userIds`. */
  async demote(name: string, userIds: readonly string[]): Promise<AdminServer> {
    return fromPrivate(await this.access.demote(name, userIds));
  }

  /** Drops one user's cached private servers on every instance (the next read reloads them). */
  invalidateUser(userId: string): Promise<void> {
    return this.access.invalidateUser(userId);
  }

  private async require(name: string): Promise<AdminServer> {
    const server = await this.getServer(name);
    if (!server) throw new StrataError('NOT_FOUND', `no shared or private server named "${name}"`);
    return server;
  }
}

function fromShared(server: StoredServer): AdminServer {
  const { name, config, version, updatedAt } = server;
  return { name, tier: 'shared', config, version, updatedAt, access: { everyone: true } };
}

function fromPrivate(definition: PrivateServerDefinition): AdminServer {
  const { name, config, version, updatedAt, userIds } = definition;
  return { name, tier: 'private', config, version, updatedAt, access: { userIds: [...userIds] } };
}
