/** A harness's `refuseSubscribes` / `subscribeAttempts` bookkeeping, shared by every harness. */
export interface SubscribeRefusals {
  /** Refuse the next `times` subscribes to `channel`. */
  set(channel: string, times: number): void;
  attempts(channel: string): number;
  /** Count an attempt; true when it is to be refused. */
  refuse(channel: string): boolean;
}

/** Subscribe attempts per channel, and how many of the next ones to refuse (`refuseSubscribes`). */
export function createSubscribeRefusals(): SubscribeRefusals {
  const remaining = new Map<string, number>();
  const seen = new Map<string, number>();
  return {
    set(channel: string, times: number): void {
      remaining.set(channel, times);
    },
    attempts: (channel: string): number => seen.get(channel) ?? 0,
    /** Count an attempt; true when it is to be refused. */
    refuse(channel: string): boolean {
      seen.set(channel, (seen.get(channel) ?? 0) + 1);
      const left = remaining.get(channel) ?? 0;
      if (left > 0) remaining.set(channel, left - 1);
      return left > 0;
    },
  };
}
