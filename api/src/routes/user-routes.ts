import { Router, type Request, type Response } from 'express';
import {
  assertServerName,
  PERMISSION,
  StrataError,
  ValidationError,
  type ConnectionScope,
  type Grant,
} from '@strata/config';
import type { StoredServer } from '@strata/registry';
import { currentUser, type ApiUser } from '../http/auth';
import { ApiError } from '../http/problem';
import { callToolBody, emptyBody, grantsBody, updateServerBody } from '../http/schemas';
import { parseUserSuppliedConfig } from '../http/user-config';
import { parseBody } from '../http/validate';
import { handle, param, type ApiContext } from './context';
import { serverView, toolAllowed } from './server-views';

const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/** The user's permission bits on a database server: owner = all; else user, group and public grants OR-ed. */
async function bitsOf(ctx: ApiContext, name: string, user: ApiUser): Promise<number> {
  const definition = await ctx.repository.get(name);
  if (!definition) throw new StrataError('NOT_FOUND', `no server "${name}"`);
  if (user.role === 'admin' || definition.author === user.id)
    return PERMISSION.VIEW | PERMISSION.EDIT | PERMISSION.SHARE;
  let bits = 0;
  for (const grant of definition.grants) {
    const { principal } = grant;
    if (principal.type === 'public' || (principal.type === 'user' && principal.id === user.id)) bits |= grant.bits;
    else if (principal.type === 'group' && (await ctx.repository.usersOf([principal])).includes(user.id))
      bits |= grant.bits;
  }
  return bits;
}

async function requireBit(ctx: ApiContext, name: string, user: ApiUser, bit: number, what: string): Promise<void> {
  assertServerName(name);
  if (((await bitsOf(ctx, name, user)) & bit) === 0)
    throw new ApiError(
      'FORBIDDEN',
      `you may not ${what} "${name}" (needs the ${bit === PERMISSION.EDIT ? 'EDIT' : 'SHARE'} permission)`,
    );
}

/** One server of the user's effective set, or `NOT_FOUND` (never says whether it exists for others). */
async function visibleServer(ctx: ApiContext, name: string, user: ApiUser): Promise<StoredServer> {
  assertServerName(name);
  const server = await ctx.strata.getServer(name, { userId: user.id });
  if (!server) throw new StrataError('NOT_FOUND', `no server "${name}" for you`);
  return server;
}

function sessionScope(req: Request, user: ApiUser): ConnectionScope {
  const sessionId = param(req, 'sessionId');
  if (!SESSION_ID.test(sessionId)) {
    throw new ValidationError('INVALID_OPTIONS', [
      { path: 'sessionId', message: 'must be 1-128 letters, digits, "_", ".", ":" or "-"' },
    ]);
  }
  return { kind: 'session', userId: user.id, sessionId };
}

async function callTool(ctx: ApiContext, req: Request, res: Response, scope: ConnectionScope): Promise<void> {
  const user = currentUser(res);
  const name = param(req, 'name');
  const tool = param(req, 'tool');
  const body = parseBody(callToolBody, req.body ?? {});
  const server = await visibleServer(ctx, name, user);
  if (!/^[A-Za-z0-9_.:/-]{1,128}$/.test(tool)) {
    throw new ValidationError('INVALID_OPTIONS', [{ path: 'tool', message: 'must be a tool name' }]);
  }
  if (!toolAllowed(server.config, tool)) {
    throw new ApiError('TOOL_REFUSED', `tool "${tool}" is not allowed on "${name}"`, [
      { path: 'tool', message: "denied by the server's tool list" },
    ]);
  }
  const connection = await ctx.strata.connections.get(scope, name);
  const timeout = server.config.timeout ?? ctx.toolTimeoutMs;
  try {
    const result = await connection.client.callTool({ name: tool, arguments: body.arguments ?? {} }, undefined, {
      timeout,
    });
    res.json({ server: name, tool, result });
  } catch (error) {
    throw new ApiError(
      'TOOL_FAILED',
      `tool "${tool}" on "${name}" failed: ${error instanceof Error ? error.message : 'unknown error'}`,
      [],
      { cause: error },
    );
  }
}

/** The signed-in user's routes: their effective servers, tools, tool calls, sessions, and edit/share by permission bits. */
export function userRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get(
    '/servers',
    handle(async (_req, res) => {
      const user = currentUser(res);
      const servers = await ctx.strata.getServers({ userId: user.id });
      const statuses = ctx.strata.connections.status();
      res.json({ servers: [...servers.values()].map((server) => serverView(server, user.id, statuses)) });
    }),
  );

  router.get(
    '/servers/:name',
    handle(async (req, res) => {
      const user = currentUser(res);
      const server = await visibleServer(ctx, param(req, 'name'), user);
      res.json(serverView(server, user.id, ctx.strata.connections.status()));
    }),
  );

  router.get(
    '/servers/:name/tools',
    handle(async (req, res) => {
      const user = currentUser(res);
      const server = await visibleServer(ctx, param(req, 'name'), user);
      let entry = await ctx.strata.tools.get(server.name);
      if ((!entry?.tools || entry.version < server.version) && !server.config.perSession) {
        await ctx.strata.connections.get({ kind: 'user', userId: user.id }, server.name);
        entry = await ctx.strata.tools.get(server.name);
      }
      const tools = (entry?.tools ?? [])
        .filter((tool) => toolAllowed(server.config, tool.name))
        .map((tool) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema }));
      res.json({
        server: server.name,
        version: entry?.version ?? server.version,
        tools,
        ...(entry?.error ? { error: entry.error } : {}),
      });
    }),
  );

  router.post(
    '/servers/:name/tools/:tool/call',
    handle((req, res) => callTool(ctx, req, res, { kind: 'user', userId: currentUser(res).id })),
  );

  router.post(
    '/sessions/:sessionId/servers/:name/tools/:tool/call',
    handle((req, res) => callTool(ctx, req, res, sessionScope(req, currentUser(res)))),
  );

  router.delete(
    '/sessions/:sessionId',
    handle(async (req, res) => {
      const scope = sessionScope(req, currentUser(res));
      if (scope.kind === 'session') await ctx.strata.connections.endSession(scope.userId, scope.sessionId);
      res.status(204).end();
    }),
  );

  // Editing and sharing a database server the user may not own: decided by its permission bits.
  router.put(
    '/servers/:name',
    handle(async (req, res) => {
      const user = currentUser(res);
      const name = param(req, 'name');
      const body = parseBody(updateServerBody, req.body);
      const config = user.role === 'admin' ? body.config : parseUserSuppliedConfig(body.config);
      await requireBit(ctx, name, user, PERMISSION.EDIT, 'edit');
      const updated = await ctx.strata.admin.updateServer(name, config);
      res.json({ name: updated.name, tier: updated.tier, version: updated.version });
    }),
  );

  router.get(
    '/servers/:name/access',
    handle(async (req, res) => {
      const user = currentUser(res);
      const name = param(req, 'name');
      await requireBit(ctx, name, user, PERMISSION.SHARE, 'see who may use');
      const server = await ctx.strata.admin.getServer(name);
      if (!server) throw new StrataError('NOT_FOUND', `no server "${name}"`);
      res.json({ name, tier: server.tier, grants: server.grants });
    }),
  );

  router.put(
    '/servers/:name/access',
    handle(async (req, res) => {
      const user = currentUser(res);
      const name = param(req, 'name');
      const { grants } = parseBody(grantsBody, req.body);
      if (user.role !== 'admin') refusePublic(grants);
      await requireBit(ctx, name, user, PERMISSION.SHARE, 'share');
      const server = await ctx.strata.admin.setAccess(name, { grants });
      res.json({ name, tier: server.tier, grants: server.grants });
    }),
  );

  router.post(
    '/auth/login',
    handle(async (req, res) => {
      parseBody(emptyBody, req.body ?? {});
      const user = currentUser(res);
      const servers = await loginHook(ctx, user.id);
      res.json({ user, servers });
    }),
  );

  return router;
}

/** Sharing with everyone moves a server to the shared tier: an admin's decision. */
function refusePublic(grants: readonly Grant[]): void {
  const index = grants.findIndex((grant) => grant.principal.type === 'public');
  if (index >= 0) {
    throw new ApiError('FORBIDDEN', 'only admins may share a server with everyone', [
      { path: `grants.${index}.principal`, message: 'public grants need the admin role' },
    ]);
  }
}

/**
 * The login hook: loads the user's private servers (once across instances) and answers with their
 * effective set, sanitised. The router exports it for hosts that sign users in themselves.
 */
export async function loginHook(ctx: ApiContext, userId: string) {
  const servers = await ctx.strata.login(userId);
  const statuses = ctx.strata.connections.status();
  return [...servers.values()].map((server) => serverView(server, userId, statuses));
}
