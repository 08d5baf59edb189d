import type { PublicEvent, ServerConfig, StoredServer, Strata, Tier } from '@strata/registry/internals';

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

/** Resolves with the first public event on `strata` that matches (subscribe before acting). */
export function nextPublicEvent(strata: Strata, match: (event: PublicEvent) => boolean): Promise<PublicEvent> {
  return new Promise((resolve) => {
    const off = strata.subscribe((event) => {
      if (match(event)) {
        off();
        resolve(event);
      }
    });
  });
}
