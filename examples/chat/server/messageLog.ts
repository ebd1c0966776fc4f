import type { RealtimeMessage } from '@patchbay/realtime-core';

/** The example's source of truth for providers without history: the last 200 messages per channel. */
export class MessageLog {
  readonly #channels = new Map<string, RealtimeMessage[]>();

  /** Idempotent by id: a retried publish is recorded once. */
  add(channel: string, message: RealtimeMessage): void {
    const list = this.#channels.get(channel) ?? [];
    if (list.some((m) => m.id === message.id)) return;
    list.push(message);
    if (list.length > 200) list.shift();
    this.#channels.set(channel, list);
  }

  list(channel: string): RealtimeMessage[] {
    return [...(this.#channels.get(channel) ?? [])];
  }
}
