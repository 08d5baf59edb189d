// `npm start`: one Strata API instance from the environment (config/.env.example lists every
// variable). With nothing set: memory Keyv and in-process bus, an embedded MongoDB with its data
// under .data/, the app tier from config/strata.yaml, demo users and servers, dev sign-in on.
import { DEMO } from './embedded/seed';
import { SettingsError } from './runtime/api-env';
import { startApi, type RunningApi } from './standalone';

function banner(api: RunningApi): string {
  const { settings, url } = api;
  const lines = [
    '',
    `Strata API listening on ${url}`,
    `  instance  ${api.strata.instanceId}`,
    `  redis     ${settings.redis ? ('url' in settings.redis ? 'REDIS_URI' : 'REDIS_CLUSTER_NODES') : 'none: memory Keyv + in-process bus (set REDIS_URI for several instances)'}`,
    `  mongodb   ${api.mongo.description}, database "${settings.mongoDb}"`,
    `  app tier  ${settings.configFile}`,
    api.seeded
      ? `  seeded    demo admin "${DEMO.admin}", users ${DEMO.users.map((u) => `"${u}"`).join(', ')}, group "${DEMO.group}", servers demo, demo-session, notes, team-wiki`
      : '',
    '',
    settings.devLogin
      ? [
          'Sign in (dev sign-in; off when NODE_ENV=production):',
          `  curl -s -X POST ${url}/api/auth/dev-login -H 'content-type: application/json' -d '{"username":"${DEMO.admin}"}'`,
          'then send the token as  Authorization: Bearer <token>, e.g.',
          `  curl -s ${url}/api/servers -H "authorization: Bearer $TOKEN"`,
          `  curl -s -X POST ${url}/api/servers/demo/tools/add/call -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"arguments":{"a":2,"b":3}}'`,
        ].join('\n')
      : 'Sign in with a bearer JWT (STRATA_JWT_SECRET / STRATA_JWKS_URL); dev sign-in is off.',
    '',
  ];
  return lines.filter((line, index) => line !== '' || lines[index - 1] !== '').join('\n');
}

async function main(): Promise<void> {
  let api: RunningApi;
  try {
    api = await startApi(process.env);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`strata: cannot start: ${message}\n`);
    if (!(error instanceof SettingsError)) process.stderr.write('See config/.env.example for every variable.\n');
    process.exit(1);
  }
  process.stdout.write(`${banner(api)}\n`);
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`strata: ${signal}: shutting down\n`);
    const force = setTimeout(() => {
      process.stderr.write('strata: shutdown deadline passed; exiting\n');
      process.exit(1);
    }, api.settings.shutdownTimeoutMs + 1_000);
    force.unref();
    api.close().then(
      () => {
        process.stdout.write('strata: stopped\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`strata: shutdown failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
