/** `@patchbay/realtime-server/redis`: the Redis broker for several hub processes (needs the `ioredis` peer). */
export type { RedisBroker, RedisBrokerOptions } from '../redisBroker.js';
export { createRedisBroker } from '../redisBroker.js';
