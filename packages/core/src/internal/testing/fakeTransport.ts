import { vi } from 'vitest';
import { ErrorCodes } from '../../codes.js';
import { ConnectionError } from '../../errors.js';
import type { Timers } from '../../timers.js';
import type {
  Transport,
  TransportCapabilities,
  TransportConnection,
  TransportConnectRequest,
} from '../../transport/types.js';

/** Test-only: a transport that accepts everything; override what a test needs to observe. */
export function fakeTransport(
  overrides: Omit<Partial<Transport>, 'capabilities'> & {
    capabilities?: Partial<TransportCapabilities>;
  } = {},
): Transport {
  const { capabilities, ...methods } = overrides;
  return {
    provider: 'fake',
    connect: async () => ({}),
    disconnect: () => {},
    subscribe: async () => ({ recovered: false }),
    unsubscribe: async () => {},
    publish: async () => {},
    presenceEnter: async () => {},
    presenceUpdate: async () => {},
    presenceLeave: async () => {},
    ...methods,
    capabilities: {
      clientPublish: true,
      publishAck: true,
      presence: true,
      presenceUpdate: true,
      history: false,
      recovery: false,
      echoControl: true,
      maxMessageBytes: 65_536,
      presenceGrace: true,
      ...capabilities,
    },
  };
}

export interface Attempt {
  request: TransportConnectRequest;
  resolve(connection: TransportConnection): void;
  reject(error: unknown): void;
}

/** Test-only: a transport whose every connect() waits for the test to resolve or reject it. */
export function controlledTransport() {
  const attempts: Attempt[] = [];
  const transport = fakeTransport({
    connect: (request) =>
      new Promise<TransportConnection>((resolve, reject) =>
        attempts.push({ request, resolve, reject }),
      ),
    disconnect: vi.fn(),
  });
  const last = (): Attempt => {
    const attempt = attempts[attempts.length - 1];
    if (!attempt) throw new Error('no connect() call yet');
    return attempt;
  };
  return { transport, attempts, last };
}

/** A connection attempt that failed the way an unreachable server fails. */
export const serverDown = () =>
  new ConnectionError(ErrorCodes.ConnectionFailed, 'ECONNREFUSED', { retryable: true });

/** Timers built on vitest's faked globals (install them with vi.useFakeTimers()). */
export const fakeTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** Let pending promise callbacks (auth(), connect() settling) run without moving the clock. */
export const flush = () => vi.advanceTimersByTimeAsync(0);
