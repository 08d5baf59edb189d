// `npm run strata -- <command>`: the admin surface from a terminal, on the storage the server uses
// (same environment variables). With Redis configured, running instances see every change at once;
// in memory mode a running server only sees them after its next restart (no shared bus).
import { readFileSync } from 'node:fs';
import {
  parseClaudeDesktopJson,
  parseLibreChatYaml,
  parseStrataYaml,
  PERMISSION,
  principalKey,
  isStrataError,
  type Grant,
  type ParsedServers,
} from '@strata/config';
import { importServers, type ServerAccess } from '@strata/registry/internals';
import { openStrata } from './open-strata';
import { readSettings } from './runtime/api-env';
import { createApiLogger } from './runtime/logger';

const USAGE = `usage: npm run strata -- <command>

  list                                       database servers (tier, version, who may use them)
  import <file> [--format librechat|claude-desktop|strata] [--everyone | --users a,b] [--dry-run]
  grant <server> <userId>...                 let users use a server (VIEW)
  revoke <server> <userId>...                take it back
  promote <server>                           private -> shared (everyone)
  demote <server> <userId>...                shared -> private to these users

Storage comes from the same variables as npm start (config/.env.example).`;

function formatOf(file: string, given: string | undefined): (text: string, source: string) => ParsedServers {
  const format =
    given ?? (file.endsWith('.json') ? 'claude-desktop' : /librechat/i.test(file) ? 'librechat' : 'strata');
  if (format === 'librechat') return parseLibreChatYaml;
  if (format === 'claude-desktop') return parseClaudeDesktopJson;
  if (format === 'strata') return parseStrataYaml;
  throw new Error(`--format must be librechat, claude-desktop or strata (got "${format}")`);
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index < 0) return undefined;
  const [value] = args.splice(index, 2).slice(1);
  if (value === undefined) throw new Error(`${name} needs a value`);
  return value;
}

function flag(args: string[], name: string): boolean {
  const index = args.indexOf(name);
  if (index >= 0) args.splice(index, 1);
  return index >= 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const env = { LOG_LEVEL: 'warn', STRATA_SEED: '0', ...process.env };
  const settings = readSettings(env);
  const logger = createApiLogger({ level: settings.logLevel, format: settings.logFormat });
  const { strata, close } = await openStrata(settings, env, logger);
  const admin = strata.admin;
  try {
    switch (command) {
      case 'list': {
        for (const server of await admin.listServers()) {
          const who = server.grants.map((grant) => `${principalKey(grant.principal)}:${grant.bits}`).join(' ');
          console.log(`${server.name}\t${server.tier}\tv${server.version}\t${who}`);
        }
        return 0;
      }
      case 'import': {
        const format = option(args, '--format');
        const users = option(args, '--users');
        const access: ServerAccess = flag(args, '--everyone')
          ? { everyone: true }
          : { userIds: users ? users.split(',').filter(Boolean) : [] };
        const dryRun = flag(args, '--dry-run');
        const [file] = args;
        if (!file) throw new Error('import needs a file');
        const parsed = formatOf(file, format)(readFileSync(file, 'utf8'), file);
        const result = await importServers(admin, parsed, {
          owner: 'cli',
          access,
          dryRun,
          isAppServer: (name) => strata.registry.isAppServer(name),
        });
        for (const entry of result.results) {
          console.log(
            `${entry.outcome}\t${entry.name}${entry.error ? `\t${entry.error.code}: ${entry.error.message}` : ''}`,
          );
        }
        console.log(
          `created ${result.created}, updated ${result.updated}, unchanged ${result.unchanged}, refused ${result.refused}${dryRun ? ' (dry run)' : ''}`,
        );
        return result.refused > 0 ? 1 : 0;
      }
      case 'grant':
      case 'revoke': {
        const [name, ...userIds] = args;
        if (!name || userIds.length === 0) throw new Error(`${command} needs a server and at least one user id`);
        const current = await admin.getServer(name);
        if (!current) throw new Error(`no database server "${name}"`);
        const others = current.grants.filter(
          (grant) => !(grant.principal.type === 'user' && userIds.includes(grant.principal.id)),
        );
        const added: Grant[] =
          command === 'grant' ? userIds.map((id) => ({ principal: { type: 'user', id }, bits: PERMISSION.VIEW })) : [];
        const updated = await admin.setAccess(name, { grants: [...others, ...added] });
        console.log(
          `${updated.name}\t${updated.tier}\t${updated.grants.map((g) => principalKey(g.principal)).join(' ')}`,
        );
        return 0;
      }
      case 'promote': {
        const [name] = args;
        if (!name) throw new Error('promote needs a server');
        console.log(`${(await admin.promote(name)).name}\tshared`);
        return 0;
      }
      case 'demote': {
        const [name, ...userIds] = args;
        if (!name) throw new Error('demote needs a server');
        console.log(`${(await admin.demote(name, userIds)).name}\tprivate to ${userIds.join(', ') || 'nobody'}`);
        return 0;
      }
      default:
        console.error(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } finally {
    await close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = isStrataError(error) || error instanceof Error ? error.message : String(error);
    console.error(`strata: ${message}`);
    process.exit(1);
  },
);
