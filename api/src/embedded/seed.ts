import { PERMISSION } from '@strata/config';
import type { Strata } from '@strata/registry';
import { upsertUser, type UserModel } from '@strata/data-schemas';

/** The demo data a first run writes (the banner prints how to sign in as these users). */
export const DEMO = {
  admin: 'admin',
  users: ['alice', 'bob'],
  group: 'demo-team',
} as const;

/**
 * The shipped stdio MCP server (api/mcp-servers/demo-server.ts), run by this Node with tsx. The
 * placeholders are resolved where the connection is made (STRATA_HOME, STRATA_NODE are given to
 * the connection layer), so the stored config holds no machine path.
 */
export const DEMO_SERVER_CONFIG = {
  type: 'stdio',
  title: 'Demo tools',
  description: 'echo, add, time — a real MCP server shipped in the repo',
  command: '${STRATA_NODE}',
  args: ['--import', 'tsx', 'api/mcp-servers/demo-server.ts'],
  cwd: '${STRATA_HOME}',
} as const;

/**
 * Seeds an empty database: a demo admin, two users, a group, and a few servers — the shipped demo
 * MCP server shared with everyone, a per-session copy for the group, a private HTTP server for
 * alice and a group server bob may edit. Does nothing when any server exists. Resolves with what it did.
 */
export async function seedDemo(strata: Strata, users: UserModel): Promise<{ seeded: boolean }> {
  if ((await strata.admin.listServers()).length > 0) return { seeded: false };
  await upsertUser(users, { userId: DEMO.admin, name: 'Demo admin', role: 'admin' });
  for (const userId of DEMO.users) await upsertUser(users, { userId, name: userId, role: 'user' });
  await strata.admin.createGroup(DEMO.group, 'Demo team', [...DEMO.users]).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== 'CONFLICT') throw error;
  });
  const admin = DEMO.admin;
  await strata.admin.createServer('demo', DEMO_SERVER_CONFIG, { everyone: true }, admin);
  await strata.admin.createServer(
    'demo-session',
    { ...DEMO_SERVER_CONFIG, title: 'Demo tools (one per chat session)', perSession: true },
    { grants: [{ principal: { type: 'group', id: DEMO.group }, bits: PERMISSION.VIEW }] },
    admin,
  );
  await strata.admin.createServer(
    'notes',
    { type: 'streamable-http', title: 'Notes (example, not reachable)', url: 'https://notes.example/mcp' },
    { userIds: ['alice'] },
    admin,
  );
  await strata.admin.createServer(
    'team-wiki',
    { type: 'sse', title: 'Team wiki (example, not reachable)', url: 'https://wiki.example/sse' },
    {
      grants: [
        { principal: { type: 'group', id: DEMO.group }, bits: PERMISSION.VIEW },
        { principal: { type: 'user', id: 'bob' }, bits: PERMISSION.VIEW | PERMISSION.EDIT },
      ],
    },
    admin,
  );
  return { seeded: true };
}
