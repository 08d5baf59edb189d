// Scripts run on the instance's auto-pipelined ioredis client. ioredis `defineCommand` on such a
// client is unsafe: a pipeline queued earlier in the same tick lacks the new command, the call is
// rejected ("pipeline[functionName] is not a function") and the pipeline's callback then crashes
// the process ("results[i] is not iterable", the CI failure of the browser suite). Scripts therefore
// run as plain EVALSHA/EVAL, which every client and pipeline has from the start.
import { describeEachRedis } from '@strata/test-harness';
import { createRedisClients, luaScript, runLua, runScript } from '@strata/registry/internals';
import { connectionFor } from '../helpers';

describeEachRedis('scripts on an auto-pipelined client', (redis) => {
  function commandsClient(): ReturnType<typeof createRedisClients>['commands'] {
    const { commands, keyv } = createRedisClients({
      connection: connectionFor(redis.topology),
      timeoutMs: 2_000,
      reconnect: { baseDelayMs: 50, maxDelayMs: 500 },
      name: 'scripts-test',
    });
    void keyv; // never connected: nothing to close
    return commands;
  }

  it('a script first run in the same tick as other queued commands answers, and so do they', async () => {
    const client = commandsClient();
    try {
      await client.connect();
      const key = `${redis.prefix}{lease}`;
      // A new script (unique source, so no node has it cached) and a registry script, each queued
      // behind a command already waiting in this tick's auto-pipeline.
      const fresh = luaScript(`return {'fresh', KEYS[1], ARGV[1], '${redis.prefix}'}`);
      const results = await Promise.all([
        client.get(`${redis.prefix}{lease}other`),
        runLua(client, fresh, [key], ['a']),
        client.set(`${redis.prefix}{lease}x`, '1'),
        runScript(client, 'acquireLease', [key], ['token-1', '5000']),
      ]);
      expect(results[0]).toBeNull();
      expect(results[1]).toEqual(['fresh', key, 'a', redis.prefix]);
      expect(results[2]).toBe('OK');
      expect(await client.pttl(key)).toBeGreaterThan(0);
      expect(await client.get(key)).toBe('token-1');
    } finally {
      client.disconnect();
    }
  });

  it('a node that lost its script cache (a restart, SCRIPT FLUSH) is sent the script again', async () => {
    const client = commandsClient();
    try {
      await client.connect();
      const script = luaScript(`return ARGV[1] .. ':${redis.prefix}'`);
      const key = `${redis.prefix}k`;
      expect(await runLua(client, script, [key], ['one'])).toBe(`one:${redis.prefix}`);
      const nodes = 'nodes' in client ? client.nodes('master') : [client];
      await Promise.all(nodes.map((node) => node.script('FLUSH')));
      expect(await runLua(client, script, [key], ['two'])).toBe(`two:${redis.prefix}`);
    } finally {
      client.disconnect();
    }
  });

  it('a registry script called with the wrong number of keys is refused before Redis sees it', async () => {
    const client = commandsClient();
    try {
      await expect(runScript(client, 'acquireLease', [], ['t', '1'])).rejects.toThrow(/takes 1 keys, got 0/);
    } finally {
      client.disconnect();
    }
  });
});
