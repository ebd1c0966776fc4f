import { describe, expect, it } from 'vitest';
import { createMemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';
import type { TransportPresenceEvent, TransportSink } from './transport/types.js';

/** A memory transport connected to `hub` that records the presence events it receives. */
async function connected(hub: ReturnType<typeof createMemoryHub>, clientId: string) {
  const presence: TransportPresenceEvent[] = [];
  const sink: TransportSink = {
    message: () => {},
    presence: (_channel, event) => presence.push(event),
    lost: () => {},
    discontinuity: () => {},
  };
  const transport = memoryTransport({ hub });
  await transport.connect({
    token: undefined,
    clientId,
    echo: true,
    sink,
    signal: new AbortController().signal,
    refreshToken: async () => undefined,
    reconnect: {
      baseDelayMs: 500,
      maxDelayMs: 30_000,
      connectTimeoutMs: 10_000,
      delayMs: () => 0,
    },
  });
  return { transport, presence };
}

describe('memory hub presence when a connection goes away', () => {
  it('tells subscribers a member left when its connection closes without subscribing', async () => {
    const hub = createMemoryHub();
    const watcher = await connected(hub, 'watcher');
    const member = await connected(hub, 'member');
    await watcher.transport.subscribe('room', { presence: true });
    // A transport may enter presence on a channel it does not subscribe to.
    await member.transport.presenceEnter('room', { away: false });
    await expect.poll(() => watcher.presence.map((event) => event.type)).toContain('enter');

    member.transport.disconnect();

    await expect
      .poll(() =>
        watcher.presence
          .filter((event) => event.type === 'leave')
          .map((event) => (event.type === 'leave' ? event.member.clientId : undefined)),
      )
      .toEqual(['member']);
    watcher.transport.disconnect();
  });
});
