import type { StoredServer } from './stored-server';

/**
 * Where a connection layer looks a server up: one method, so `connections/` depends on this
 * interface and never on the registry that implements it (`McpRegistry`).
 */
export interface ServerSource {
  /** The server as this user (or the app, without `userId`) would get it; undefined when there is none. */
  getServer(name: string, options: { readonly userId?: string }): Promise<StoredServer | undefined>;
}
