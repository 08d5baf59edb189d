// Messages between the soak driver (soak/run.ts) and its instance processes (soak/instance.ts),
// sent over the Node IPC channel `fork` opens.

/** What the driver tells an instance at start (JSON in the `SOAK_INSTANCE` environment variable). */
export interface InstanceConfig {
  readonly name: string;
  readonly redis: { readonly url: string } | { readonly clusterNodes: Array<{ host: string; port: number }> };
  readonly keyPrefix: string;
  readonly mongoUri: string;
  readonly database: string;
  /** One socket per connection (FerretDB does not isolate updates across connections). */
  readonly singleSocket: boolean;
  readonly redisTimeoutMs: number;
  readonly loadTimeoutMs: number;
  readonly replayGraceMs: number;
  readonly replayIntervalMs: number;
  readonly appServers: ReadonlyArray<{ name: string; config: Record<string, unknown> }>;
}

/** One server as a read returned it. */
export interface SeenServer {
  readonly name: string;
  readonly tier: string;
  readonly version: number;
}

export type Command =
  | { readonly op: 'read'; readonly userId: string }
  | { readonly op: 'login'; readonly userId: string }
  | { readonly op: 'create'; readonly name: string; readonly url: string; readonly userIds: readonly string[] }
  | { readonly op: 'update'; readonly name: string; readonly url: string }
  | { readonly op: 'setUsers'; readonly name: string; readonly userIds: readonly string[] }
  | { readonly op: 'promote'; readonly name: string }
  | { readonly op: 'demote'; readonly name: string; readonly userIds: readonly string[] }
  | { readonly op: 'delete'; readonly name: string }
  | { readonly op: 'slow'; readonly loaderDelayMs: number }
  | { readonly op: 'sample' }
  | { readonly op: 'close' };

export interface Sample {
  /** `heapUsed` after a full GC. */
  readonly heapBytes: number;
  /** `process.getActiveResourcesInfo().length`: timers, sockets, handles. */
  readonly resources: number;
  /** The same, counted by type (`Timeout`, `TCPSocketWrap`, …). */
  readonly resourceTypes: Record<string, number>;
  readonly stats: unknown;
}

export type Reply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly ms: number;
      readonly servers?: SeenServer[];
      readonly sample?: Sample;
    }
  | { readonly id: number; readonly ok: false; readonly ms: number; readonly code: string; readonly message: string };

export type InstanceMessage =
  Reply | { readonly event: 'ready' } | { readonly event: 'unhandled'; readonly message: string };

export interface Request {
  readonly id: number;
  readonly command: Command;
}
