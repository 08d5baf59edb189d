import type { ServerConfig, StoredServer, Tier } from '@strata/registry/internals';

/** A valid stdio server config (the contracts' servers differ by command arguments only). */
export function stdioConfig(command = 'node', args: string[] = []): ServerConfig {
  return {
    type: 'stdio',
    command,
    args,
    startup: true,
    requiresOAuth: false,
    perSession: false,
    enabled: true,
  };
}

/** A stored server named `name` at `version`, written at the epoch (so equal inputs give equal values). */
export function stored(
  name: string,
  version: number,
  tier: Tier = 'shared',
  config: ServerConfig = stdioConfig('node', [name]),
): StoredServer {
  return { name, tier, config, version, updatedAt: new Date(0).toISOString() };
}
