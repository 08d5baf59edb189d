import { sanitizeForBrowser, type BrowserServerConfig, type ServerConfig } from '@strata/config';
import type { ConnectionStatus, StoredServer } from '@strata/registry';

/** A server as a browser sees it: sanitised config, tier, version and this instance's connection state. */
export interface ServerView {
  readonly name: string;
  readonly tier: StoredServer['tier'];
  readonly version: number;
  readonly updatedAt: string;
  readonly config: BrowserServerConfig;
  /** The user's (or app-wide) connection on the instance that answered; `idle` when there is none. */
  readonly connection: string;
}

export function serverView(server: StoredServer, userId: string, statuses: readonly ConnectionStatus[]): ServerView {
  const mine = statuses.find(
    (status) =>
      status.name === server.name &&
      (status.scope.kind === 'app' || ('userId' in status.scope && status.scope.userId === userId)),
  );
  return {
    name: server.name,
    tier: server.tier,
    version: server.version,
    updatedAt: server.updatedAt,
    config: sanitizeForBrowser(server.config),
    connection: mine?.status.state ?? 'idle',
  };
}

/** Whether a tool passes the server's allow/deny lists (enforced here, on every call and listing). */
export function toolAllowed(config: ServerConfig, tool: string): boolean {
  const { allow, deny } = config.tools ?? {};
  if (deny?.includes(tool)) return false;
  return allow === undefined || allow.includes(tool);
}
