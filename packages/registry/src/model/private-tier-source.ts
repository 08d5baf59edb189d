import type { StoredServer } from './stored-server';

/**
 * Where the registry gets a user's private servers. The private tier (lazy load under a fenced
 * Redis lock) implements it; the registry only asks, and the source ensures loading itself, so a
 * TTL expiry never makes a user's servers vanish.
 */
export interface PrivateTierSource {
  getServers(userId: string): Promise<readonly StoredServer[]>;
}
