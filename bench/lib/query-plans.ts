import type { Connection } from 'mongoose';

/** One query a measured call sent (mongoose's per-connection debug hook). */
export interface CapturedQuery {
  readonly collection: string;
  /** `find` or `findOne`. */
  readonly method: string;
  readonly filter: Record<string, unknown>;
  readonly sort: Record<string, 1 | -1> | undefined;
}

/** What the server says it does for one query (`explain('queryPlanner')`). */
export interface QueryPlan {
  /** MongoDB: the winning plan's stages, outermost first (`FETCH > IXSCAN`); FerretDB: its SQL plan (`SCAN <table>`). */
  readonly stages: string;
  /** MongoDB: the IXSCANs' index names; FerretDB: none (its plan names a table, or an index only with pushdown). */
  readonly indexes: readonly string[];
  /** FerretDB only: whether it pushed the filter down to SQLite at all. */
  readonly filterPushdown: boolean | undefined;
  /** No collection scan: every leaf is an index scan (MongoDB) or a pushed-down `SEARCH` (FerretDB). */
  readonly indexed: boolean;
}

const READS = new Set(['find', 'findOne']);

/** The reads (`find`, `findOne`) `action` sends on `connection`, in order. */
export async function captureQueries(connection: Connection, action: () => Promise<unknown>): Promise<CapturedQuery[]> {
  const queries: CapturedQuery[] = [];
  connection.set('debug', (collection: string, method: string, filter: unknown, options: unknown) => {
    if (!READS.has(method)) return;
    const sort = isRecord(options) && isRecord(options['sort']) ? sortOf(options['sort']) : undefined;
    queries.push({ collection, method, filter: isRecord(filter) ? filter : {}, sort });
  });
  try {
    await action();
  } finally {
    connection.set('debug', false);
  }
  return queries;
}

/** `explain('queryPlanner')` of the same filter (and sort) on the same collection. */
export async function explainQuery(connection: Connection, query: CapturedQuery): Promise<QueryPlan> {
  const cursor = connection.collection(query.collection).find(query.filter, query.sort ? { sort: query.sort } : {});
  if (query.method === 'findOne') cursor.limit(1);
  return summarizePlan(await cursor.explain('queryPlanner'));
}

/** The winning plan of an explain result, in MongoDB's format or FerretDB's. */
export function summarizePlan(explain: unknown): QueryPlan {
  const planner = isRecord(explain) && isRecord(explain['queryPlanner']) ? explain['queryPlanner'] : {};
  const ferretPlan = planner['Plan'];
  if (Array.isArray(ferretPlan) || (isRecord(explain) && 'ferretdbVersion' in explain)) {
    // FerretDB (SQLite): rows like "id=2 parent=0 notused=0 detail=SCAN aclentries_4bdb3d31".
    const details = (Array.isArray(ferretPlan) ? ferretPlan : []).map((row) => String(row).replace(/^.*detail=/, ''));
    const pushdown = isRecord(explain) ? explain['filterPushdown'] : undefined;
    return {
      stages: details.join('; ') || '(no plan)',
      indexes: details.flatMap((detail) => /USING (?:COVERING )?INDEX (\S+)/.exec(detail)?.[1] ?? []),
      filterPushdown: typeof pushdown === 'boolean' ? pushdown : undefined,
      indexed: details.length > 0 && details.every((detail) => !detail.startsWith('SCAN')),
    };
  }
  const levels: string[][] = [];
  const indexes: string[] = [];
  let leavesIndexed = true;
  const walk = (node: unknown, depth: number): void => {
    if (!isRecord(node)) return;
    const stage = node['stage'];
    if (typeof stage === 'string') {
      (levels[depth] ??= []).push(stage);
      // IXSCAN, and MongoDB 8's EXPRESS_IXSCAN; IDHACK (older servers' `_id` lookup) names no index.
      if (stage.endsWith('IXSCAN') && typeof node['indexName'] === 'string') indexes.push(node['indexName']);
      if (stage === 'IDHACK') indexes.push('_id_');
      if (stage === 'COLLSCAN') leavesIndexed = false;
    }
    walk(node['inputStage'], depth + 1);
    asList(node['inputStages']).forEach((child) => walk(child, depth + 1));
  };
  // With the slot-based engine the classic plan is under `winningPlan.queryPlan`.
  const winning = planner['winningPlan'];
  walk(isRecord(winning) && isRecord(winning['queryPlan']) ? winning['queryPlan'] : winning, 0);
  const stages = levels.filter((level) => level.length > 0).map((level) => level.join(','));
  return {
    stages: stages.join(' > ') || '(no plan)',
    indexes,
    filterPushdown: undefined,
    indexed: leavesIndexed && indexes.length > 0,
  };
}

/** A filter as one short line (long `$in` lists abbreviated). */
export function describeFilter(filter: Record<string, unknown>): string {
  const text = JSON.stringify(filter, (_key, value: unknown) => {
    const items = asList(value);
    return items.length > 3 ? [...items.slice(0, 2), `…${items.length - 2} more`] : value;
  });
  return text.length > 110 ? `${text.slice(0, 107)}...` : text;
}

/** A sort specification's fields and directions (`1` / `-1`; other forms are read as ascending). */
function sortOf(spec: Record<string, unknown>): Record<string, 1 | -1> {
  return Object.fromEntries(Object.entries(spec).map(([field, direction]) => [field, direction === -1 ? -1 : 1]));
}

/** `value` if it is an array, else no items. */
function asList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
