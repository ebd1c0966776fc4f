import { ErrorCodes } from '../codes.js';
import type { RealtimeOptions } from '../createRealtime.js';
import { ConfigError, productionMessage } from '../errors.js';
import type { Transport } from '../transport/types.js';

/** Reject options that cannot work, naming the field, before anything is created. */
export function checkOptions(options: RealtimeOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'createRealtime(options) needs an options object with at least { transport }.'
        : productionMessage(ErrorCodes.InvalidConfig, 'options'),
    );
  }
  const transport = options.transport as Partial<Transport> | undefined;
  if (
    !transport ||
    typeof transport.connect !== 'function' ||
    typeof transport.subscribe !== 'function'
  ) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'createRealtime: "transport" is missing or not a transport. Pass one, e.g. transport: socketioTransport({ url }) or memoryTransport({ hub }).'
        : productionMessage(ErrorCodes.InvalidConfig, 'transport'),
    );
  }
  if (options.auth !== undefined && typeof options.auth !== 'function') {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'createRealtime: "auth" must be a function returning a token (or a promise of one).'
        : productionMessage(ErrorCodes.InvalidConfig, 'auth'),
    );
  }
  if (
    options.clientId !== undefined &&
    (typeof options.clientId !== 'string' || options.clientId.length === 0)
  ) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? 'createRealtime: "clientId" must be a non-empty string when given.'
        : productionMessage(ErrorCodes.InvalidConfig, 'clientId'),
    );
  }
  const positive: Array<[string, unknown]> = [
    ['queue.maxSize', options.queue?.maxSize],
    ['publishTimeoutMs', options.publishTimeoutMs],
    ['dedupeWindow', options.dedupeWindow],
    ['typing.timeoutMs', options.typing?.timeoutMs],
    ['typing.throttleMs', options.typing?.throttleMs],
    ['attach.maxAttempts', options.attach?.maxAttempts],
  ];
  const grace = options.presence?.leaveGraceMs;
  if (grace !== undefined && !(typeof grace === 'number' && Number.isFinite(grace) && grace >= 0)) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `createRealtime: "presence.leaveGraceMs" must be a number of milliseconds ≥ 0; got ${String(grace)}.`
        : productionMessage(ErrorCodes.InvalidConfig, 'presence.leaveGraceMs', String(grace)),
    );
  }
  for (const [field, value] of positive) {
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isFinite(value) && value > 0)
    ) {
      throw new ConfigError(
        process.env.NODE_ENV !== 'production'
          ? `createRealtime: "${field}" must be a positive number; got ${String(value)}.`
          : productionMessage(ErrorCodes.InvalidConfig, field, String(value)),
      );
    }
  }
}

/** The transport's publish window: a positive integer, 100 unless it declares otherwise. */
export function publishWindow(declared: number | undefined): number {
  return typeof declared === 'number' && Number.isFinite(declared) && declared >= 1
    ? Math.floor(declared)
    : 100;
}
