import { ErrorCodes } from '../codes.js';
import { ConnectionError, productionMessage } from '../errors.js';
import type {
  Transport,
  TransportCapabilities,
  TransportConnection,
  TransportConnectRequest,
  TransportMessage,
} from '../transport/types.js';
import { MemoryHub } from './memoryHub.js';
import type { MemoryHubSession } from './types.js';

export interface MemoryTransportOptions {
  /** The hub to join. Clients share channels only through a shared hub. Default: a private hub. */
  hub?: MemoryHub;
  /**
   * Pretend to lack capabilities (e.g. `{ recovery: false, presenceUpdate: false }`) to exercise
   * core's fallbacks — how the app behaves on providers that lack them — without a server.
   */
  capabilities?: Partial<Omit<TransportCapabilities, 'maxMessageBytes'>>;
}

/**
 * An in-process transport on a `MemoryHub`: the full contract (acks, presence, history,
 * recovery) with no server, for tests, demos, storybooks and server rendering.
 */
export function memoryTransport(options: MemoryTransportOptions = {}): Transport {
  return new MemoryTransport(options);
}

class MemoryTransport implements Transport {
  readonly provider = 'memory';
  readonly capabilities: TransportCapabilities;
  readonly #hub: MemoryHub;
  #session: MemoryHubSession | undefined;

  constructor(options: MemoryTransportOptions) {
    this.#hub = options.hub ?? new MemoryHub();
    this.capabilities = Object.freeze({
      clientPublish: true,
      publishAck: true,
      presence: true,
      presenceUpdate: true,
      history: true,
      recovery: true,
      echoControl: true,
      // The memory hub removes a dropped member at once (as Pusher does): core holds the leave.
      presenceGrace: false,
      ...options.capabilities,
      maxMessageBytes: this.#hub.maxMessageBytes,
    });
  }

  async connect(request: TransportConnectRequest): Promise<TransportConnection> {
    this.disconnect();
    const session = await this.#hub.connect({
      token: request.token,
      clientId: request.clientId,
      echo: this.capabilities.echoControl ? request.echo : true,
      sink: request.sink,
    });
    if (request.signal.aborted) {
      this.#hub.disconnect(session);
      throw request.signal.reason;
    }
    this.#session = session;
    return { clientId: session.clientId, connectionId: session.connectionId };
  }

  disconnect(): void {
    const session = this.#session;
    this.#session = undefined;
    if (session) this.#hub.disconnect(session);
  }

  async subscribe(channel: string, options: { resumeFrom?: number }) {
    const useRecovery = this.capabilities.recovery && options.resumeFrom !== undefined;
    const result = await this.#hub.subscribe(
      this.#live(),
      channel,
      useRecovery ? { resumeFrom: options.resumeFrom as number } : {},
    );
    return useRecovery ? result : { recovered: false, seq: result.seq as number };
  }

  async unsubscribe(channel: string): Promise<void> {
    return this.#hub.unsubscribe(this.#live(), channel);
  }

  async publish(message: {
    channel: string;
    id: string;
    event: string;
    data: unknown;
    ephemeral?: boolean;
  }) {
    const sent = this.#hub.send(this.#live(), message);
    if (this.capabilities.publishAck) return sent;
    sent.catch(() => {});
  }

  async presenceEnter(channel: string, data: unknown): Promise<void> {
    return this.#hub.presence(this.#live(), channel, 'enter', data);
  }

  async presenceUpdate(channel: string, data: unknown): Promise<void> {
    return this.#hub.presence(this.#live(), channel, 'update', data);
  }

  async presenceLeave(channel: string): Promise<void> {
    return this.#hub.presence(this.#live(), channel, 'leave', undefined);
  }

  async history(
    channel: string,
    options: { limit?: number; afterSeq?: number },
  ): Promise<TransportMessage[]> {
    return this.#hub.history(channel, options);
  }

  #live(): MemoryHubSession {
    if (!this.#session) {
      throw new ConnectionError(
        ErrorCodes.ConnectionLost,
        process.env.NODE_ENV !== 'production'
          ? 'The memory transport is not connected.'
          : productionMessage(ErrorCodes.ConnectionLost, 'memory', 'not connected'),
        {
          retryable: true,
        },
      );
    }
    return this.#session;
  }
}
