import { Router } from 'express';
import {
  assertServerName,
  parseClaudeDesktopJson,
  parseLibreChatYaml,
  parseServerConfig,
  parseStrataYaml,
  StrataError,
  sanitizeForBrowser,
  type ParsedServers,
} from '@strata/config';
import { importServers, type AdminServer } from '@strata/registry/internals';
import { currentUser } from '../http/auth';
import { accessSchema, createServerBody, demoteBody, emptyBody, importBody, updateServerBody } from '../http/schemas';
import { parseBody } from '../http/validate';
import { handle, param, type ApiContext } from './context';

/** An admin's view of a database server: sanitised config (never env or header values), tier, grants. */
function adminView(server: AdminServer) {
  return {
    name: server.name,
    tier: server.tier,
    version: server.version,
    updatedAt: server.updatedAt,
    author: server.author,
    config: sanitizeForBrowser(server.config),
    access: server.access,
    grants: server.grants,
  };
}

const PARSERS: Record<'librechat' | 'claude-desktop' | 'strata', (text: string, source: string) => ParsedServers> = {
  librechat: parseLibreChatYaml,
  'claude-desktop': parseClaudeDesktopJson,
  strata: parseStrataYaml,
};

/** The admin routes (mounted behind `requireAdmin`): servers, access, promote, demote, import, instances. */
export function adminRoutes(ctx: ApiContext): Router {
  const router = Router();
  const admin = ctx.strata.admin;

  router.get(
    '/servers',
    handle(async (_req, res) => {
      res.json({ servers: (await admin.listServers()).map(adminView) });
    }),
  );

  router.post(
    '/servers',
    handle(async (req, res) => {
      const body = parseBody(createServerBody, req.body);
      assertServerName(body.name, 'name');
      const config = parseServerConfig(body.config, { pathPrefix: 'config' });
      const created = await admin.createServer(body.name, config, body.access ?? { userIds: [] }, currentUser(res).id);
      res
        .status(201)
        .location(`servers/${encodeURIComponent(created.name)}`)
        .json(adminView(created));
    }),
  );

  router.get(
    '/servers/:name',
    handle(async (req, res) => {
      const name = param(req, 'name');
      assertServerName(name);
      const server = await admin.getServer(name);
      if (!server) throw new StrataError('NOT_FOUND', `no database server "${name}"`);
      res.json(adminView(server));
    }),
  );

  router.put(
    '/servers/:name',
    handle(async (req, res) => {
      const name = param(req, 'name');
      assertServerName(name);
      const body = parseBody(updateServerBody, req.body);
      const config = parseServerConfig(body.config, { pathPrefix: 'config' });
      res.json(adminView(await admin.updateServer(name, config)));
    }),
  );

  router.delete(
    '/servers/:name',
    handle(async (req, res) => {
      const name = param(req, 'name');
      assertServerName(name);
      if (!(await admin.deleteServer(name))) throw new StrataError('NOT_FOUND', `no database server "${name}"`);
      res.status(204).end();
    }),
  );

  router.get(
    '/servers/:name/access',
    handle(async (req, res) => {
      const name = param(req, 'name');
      assertServerName(name);
      const server = await admin.getServer(name);
      if (!server) throw new StrataError('NOT_FOUND', `no database server "${name}"`);
      res.json({ name, tier: server.tier, access: server.access, grants: server.grants });
    }),
  );

  router.put(
    '/servers/:name/access',
    handle(async (req, res) => {
      const name = param(req, 'name');
      assertServerName(name);
      const access = parseBody(accessSchema, req.body);
      const server = await admin.setAccess(name, access);
      res.json({ name, tier: server.tier, access: server.access, grants: server.grants });
    }),
  );

  router.post(
    '/servers/:name/promote',
    handle(async (req, res) => {
      const name = param(req, 'name');
      assertServerName(name);
      parseBody(emptyBody, req.body ?? {});
      res.json(adminView(await admin.promote(name)));
    }),
  );

  router.post(
    '/servers/:name/demote',
    handle(async (req, res) => {
      const name = param(req, 'name');
      assertServerName(name);
      const { userIds } = parseBody(demoteBody, req.body);
      res.json(adminView(await admin.demote(name, userIds)));
    }),
  );

  router.post(
    '/import',
    handle(async (req, res) => {
      const body = parseBody(importBody, req.body);
      const parsed = PARSERS[body.format](body.content, 'content');
      const result = await importServers(admin, parsed, {
        owner: currentUser(res).id,
        access: body.access ?? { userIds: [] },
        dryRun: body.dryRun ?? false,
        isAppServer: (name) => ctx.strata.registry.isAppServer(name),
      });
      res.json(result);
    }),
  );

  router.get(
    '/instances',
    handle(async (_req, res) => {
      res.json({ instances: await ctx.instances.list() });
    }),
  );

  return router;
}
