import { readdirSync } from 'node:fs';
import { run as api } from './api.bench';
import { run as connections } from './connections.bench';
import { run as data } from './data.bench';
import { run as privateTier } from './private.bench';
import { run as registryRead } from './registry-read.bench';

/** One benchmark: `bench/<name>.bench.ts` exporting `run()`. */
interface Bench {
  readonly description: string;
  run(): Promise<void>;
}

/** Every bench, by the name `npm run bench -- <name>` takes. Add a line here for a new `*.bench.ts`. */
const BENCHES: Readonly<Record<string, Bench>> = {
  api: {
    description:
      'three API instances: GET /api/servers req/s p50/p99 vs an Express hello route, sign-in storm, SSE fan-out to 1,000 streams',
    run: api,
  },
  connections: {
    description: 'connect storm (500 gets over 50 HTTP servers, single-flight); warm get() vs an MCP echo round trip',
    run: connections,
  },
  data: {
    description:
      "MongoDB access repository: the loader's query, a server's 10,000 holders, a 500-member group grant end to end; query plans",
    run: data,
  },
  private: {
    description: 'login storm from 4 processes (loader calls, wake p99), warm round trips, revoke fan-out vs SCAN',
    run: privateTier,
  },
  'registry-read': {
    description: 'near-cache getServer/getServers vs raw Redis GET; cold getServers() round trips',
    run: registryRead,
  },
};

const SUFFIX = '.bench.ts';

function usage(): string {
  const names = Object.keys(BENCHES).sort();
  const width = Math.max(...names.map((name) => name.length));
  const lines = names.map((name) => `  ${name.padEnd(width)}  ${BENCHES[name]?.description ?? ''}`);
  return ['usage: npm run bench -- <name>', '', 'benches:', ...lines].join('\n');
}

/** `*.bench.ts` files next to this one that are missing from {@link BENCHES}. */
function unregistered(): string[] {
  return readdirSync(__dirname)
    .filter((file) => file.endsWith(SUFFIX))
    .map((file) => file.slice(0, -SUFFIX.length))
    .filter((name) => !Object.hasOwn(BENCHES, name));
}

async function main(args: readonly string[]): Promise<number> {
  for (const name of unregistered()) console.error(`warning: bench/${name}${SUFFIX} is not registered in bench/run.ts`);
  const name = args[0];
  if (name === undefined) {
    console.log(usage());
    return 0;
  }
  const bench = Object.hasOwn(BENCHES, name) ? BENCHES[name] : undefined;
  if (!bench) {
    console.error(`unknown bench "${name}"\n\n${usage()}`);
    return 2;
  }
  await bench.run();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
