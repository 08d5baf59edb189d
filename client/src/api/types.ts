import type { BrowserServerConfig, Grant } from '@strata/config';

export type Tier = 'app' | 'shared' | 'private';

/** GET /api/servers: one server of the signed-in user's effective set. */
export interface ServerView {
  readonly name: string;
  readonly tier: Tier;
  readonly version: number;
  readonly updatedAt: string;
  readonly config: BrowserServerConfig;
  readonly connection: string;
}

export interface ToolView {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema?: unknown;
}

export interface ToolsAnswer {
  readonly server: string;
  readonly version: number;
  readonly tools: readonly ToolView[];
  readonly error?: string;
}

/** GET /api/admin/servers: a database server as an admin sees it. */
export interface AdminServer {
  readonly name: string;
  readonly tier: Tier;
  readonly version: number;
  readonly updatedAt: string;
  readonly author?: string;
  readonly config: BrowserServerConfig;
  readonly grants: readonly Grant[];
}

export interface InstanceView {
  readonly instanceId: string;
  readonly url?: string;
  readonly startedAt: string;
  readonly lastSeen: string;
  readonly connections: ReadonlyArray<{
    readonly name: string;
    readonly scope: { readonly kind: string; readonly userId?: string; readonly sessionId?: string };
    readonly state: string;
  }>;
}

export interface ImportAnswer {
  readonly results: ReadonlyArray<{
    readonly name: string;
    readonly outcome: 'created' | 'updated' | 'unchanged' | 'refused';
    readonly error?: { readonly code: string; readonly message: string };
  }>;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly refused: number;
}

export interface SignedInUser {
  readonly id: string;
  readonly role: 'user' | 'admin';
}
