export { freePort } from './free-port';
export { RedisServerProcess } from './redis-server-process';
export type { RedisServerOptions } from './redis-server-process';
export { RedisClusterProcess, waitFor } from './redis-cluster';
export type { RedisClusterOptions } from './redis-cluster';
export {
  createRedisClient,
  deleteKeysContaining,
  deleteKeysWithPrefix,
  parseClusterNodes,
  randomPrefix,
  redisTopologies,
  topologyName,
} from './redis-topology';
export type { RedisClient, RedisTopology } from './redis-topology';
export { describeEachRedis } from './describe-redis';
export type { RedisTestContext } from './describe-redis';
export { connectTestDatabase, startMongo } from './mongo';
export type { MongoTarget } from './mongo';
export { redactUri } from './jest-global-setup';
