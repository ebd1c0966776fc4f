export type { AuthRules } from './authRules.js';
export { createAuthRules } from './authRules.js';
export type { ClientNetworks } from './clientNetworks.js';
export { createClientNetworks } from './clientNetworks.js';
export { describeTransportConformance } from './describeTransportConformance.js';
export type { AuthRejection, ConformanceClientOptions, ConformanceHarness } from './harness.js';
export { createHubHooks, type HubHookControls } from './hubHooks.js';
export type { MemoryHarnessOptions } from './memoryHarness.js';
export { createMemoryHarness } from './memoryHarness.js';
export type { PostgresServerHandle, StartPostgresServerOptions } from './postgresServer.js';
export { findPostgresBinDir, startPostgresServer } from './postgresServer.js';
export type {
  RedisClusterHandle,
  RedisClusterNode,
  StartRedisClusterOptions,
} from './redisCluster.js';
export { startRedisCluster } from './redisCluster.js';
export type { RedisServerHandle, StartRedisServerOptions } from './redisServer.js';
export { startRedisServer } from './redisServer.js';
export type { SubscribeRefusals } from './subscribeRefusals.js';
export { createSubscribeRefusals } from './subscribeRefusals.js';
export type { TcpProxy, TcpProxyOptions, TcpProxyStats, TcpTarget } from './tcpProxy.js';
export { createTcpProxy } from './tcpProxy.js';
export type { WaitOptions } from './waitFor.js';
export { sleep, waitFor, waitForState } from './waitFor.js';
