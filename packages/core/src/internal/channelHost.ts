import type { RealtimeError } from '../errors.js';
import type { StandardSchemaV1 } from '../standardSchema.js';
import type { Timers } from '../timers.js';
import type { Transport } from '../transport/types.js';

/** The part of a channel its client drives. */
export interface LiveChannel {
  readonly name: string;
  readonly refCount: number;
  attach(): Promise<void>;
  suspend(state?: 'attaching' | 'detached'): void;
  detach(): void;
}

/** What a channel needs from its client. Internal: keeps transport access in one place. */
export interface ChannelHost {
  readonly transport: Transport;
  readonly timers: Timers;
  readonly typingOptions: { timeoutMs: number; throttleMs: number };
  /** How long a leave that was not deliberate is held where the provider has no grace. */
  readonly presenceLeaveGraceMs: number;
  /** Attach refusals a channel retries before it fails (`attach.maxAttempts`). */
  readonly attachMaxAttempts: number;
  /** How long to wait before retrying an attach refused `refusals` times in a row. */
  attachRetryDelay(refusals: number): number;
  isConnected(): boolean;
  ownClientId(): string | undefined;
  /** The presence schema of the channel's definition, if any. */
  presenceSchema(channel: string): StandardSchemaV1 | undefined;
  /** First reference taken: make this channel live (attach now if connected). */
  activate(channel: LiveChannel): void;
  /** Last reference released: detach and forget. */
  deactivate(channel: LiveChannel): void;
  publish(channel: string, event: string, data: unknown, id: string | undefined): Promise<void>;
  /** Fire-and-forget publish for typing signals; dropped while offline. */
  publishEphemeral(channel: string, event: string, data: unknown): void;
  reportError(error: RealtimeError): void;
  /**
   * Apply inbound data (messages, presence) of a channel in arrival order, also when an async
   * schema makes some of it wait.
   */
  inOrder<TValue>(
    channel: string,
    checked: TValue | Promise<TValue>,
    apply: (value: TValue) => void,
  ): void;
  /** An app handler threw: report it without disturbing delivery. */
  reportHandlerError(channel: string, event: string, error: unknown): void;
}
