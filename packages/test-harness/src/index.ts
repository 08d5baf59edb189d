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
export { describeEachBackend } from './describe-each-backend';
export type { BackendKind, BackendTestContext, NewBackendOptions } from './describe-each-backend';
export { tierStoreContract } from './contracts/tier-store.contract';
export type { TierStoreFixture } from './contracts/tier-store.contract';
export { privateStoreContract } from './contracts/private-store.contract';
export type { PrivateStoreFixture } from './contracts/private-store.contract';
export { accessRepositoryContract } from './contracts/access-repository.contract';
export { accessChangesSuite } from './contracts/access-changes.suite';
export { nextPublicEvent, stdioConfig, stored } from './contracts/servers';
export type { AccessRepositoryFixture } from './contracts/access-changes.suite';
export { connectTestDatabase, startMongo } from './mongo';
export type { MongoTarget } from './mongo';
export { redactUri } from './jest-global-setup';
