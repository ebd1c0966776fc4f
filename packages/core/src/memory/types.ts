/** The memory hub's public types: its options, refusals, stats and a transport's session. */

export type MemoryHubAction = 'subscribe' | 'publish' | 'presence';

export interface MemoryHubOptions {
  /**
   * Decide who a connection is. Default: the token if one is given (`alice` or `alice.anything`
   * → `alice`), else the requested clientId, else a generated one. Throw to refuse.
   */
  authenticate?(request: {
    token: string | undefined;
    clientId: string | undefined;
  }): { clientId: string } | Promise<{ clientId: string }>;
  /** Allow or refuse an action on a channel. Default: everything is allowed. */
  authorize?(request: {
    clientId: string;
    channel: string;
    action: MemoryHubAction;
  }): boolean | Promise<boolean>;
  /** Messages kept per channel for recovery and history. Default 1 000. */
  historySize?: number;
  /** Largest accepted message in bytes of JSON. Default 64 KiB. */
  maxMessageBytes?: number;
  /** Simulated one-way latency in ms. Default 0 (delivery on the next microtask). */
  latencyMs?: number;
}

/** Refuse a client, a channel, or one action on a channel. */
export interface MemoryAuthRejection {
  clientId?: string;
  channel?: string;
  action?: MemoryHubAction | 'connect';
}

export interface MemoryHubStats {
  connections: number;
  channels: number;
  members: number;
}

/** What a memory transport holds while connected. */
export interface MemoryHubSession {
  readonly connectionId: string;
  readonly clientId: string;
}
