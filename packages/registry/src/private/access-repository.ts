import type { ServerConfig } from '@strata/config';
import type { PrivateServerRecord } from './private-tier-options';

/** A private server in the source of truth: its config and the users it is shared with. */
export interface PrivateServerDefinition {
  readonly name: string;
  readonly config: ServerConfig;
  readonly version: number;
  readonly updatedAt: string;
  readonly userIds: readonly string[];
}

/**
 * The source of truth for private servers and who may use them (the database: a mongoose
 * implementation arrives with the API). The private tier's loader is `serversForUser`.
 */
export interface AccessRepository {
  serversForUser(userId: string): Promise<PrivateServerRecord[]>;
  get(name: string): Promise<PrivateServerDefinition | undefined>;
  /** Creates or replaces a definition; resolves with the previous one. */
  put(definition: PrivateServerDefinition): Promise<PrivateServerDefinition | undefined>;
  /** Removes a definition; resolves with the removed one. */
  remove(name: string): Promise<PrivateServerDefinition | undefined>;
}

/** In-process repository: memory mode and tests. Reads are asynchronous like a query. */
export class MemoryAccessRepository implements AccessRepository {
  private readonly definitions = new Map<string, PrivateServerDefinition>();
  /** How many times `serversForUser` ran (the loader's database reads). */
  reads = 0;

  async serversForUser(userId: string): Promise<PrivateServerRecord[]> {
    this.reads += 1;
    await new Promise((resolve) => setImmediate(resolve));
    return [...this.definitions.values()]
      .filter((definition) => definition.userIds.includes(userId))
      .map(({ name, config, version, updatedAt }) => ({ name, config, version, updatedAt }));
  }

  get(name: string): Promise<PrivateServerDefinition | undefined> {
    return Promise.resolve(this.definitions.get(name));
  }

  put(definition: PrivateServerDefinition): Promise<PrivateServerDefinition | undefined> {
    const previous = this.definitions.get(definition.name);
    this.definitions.set(definition.name, { ...definition, userIds: [...definition.userIds] });
    return Promise.resolve(previous);
  }

  remove(name: string): Promise<PrivateServerDefinition | undefined> {
    const previous = this.definitions.get(name);
    this.definitions.delete(name);
    return Promise.resolve(previous);
  }
}
