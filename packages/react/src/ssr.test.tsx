// @vitest-environment node
import { createMemoryHub, createRealtime, memoryTransport } from '@patchbay/realtime-core';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { RealtimeProvider } from './RealtimeProvider.js';
import { useChannel } from './useChannel.js';
import { useConnectionState, useQueueStatus } from './useConnectionState.js';
import { useEvent } from './useEvent.js';
import { useMessages } from './useMessages.js';
import { usePresence } from './usePresence.js';
import { usePresenceListener } from './usePresenceListener.js';
import { usePublish } from './usePublish.js';
import { useTyping } from './useTyping.js';

function EveryHook() {
  const connection = useConnectionState();
  const queue = useQueueStatus();
  useChannel('ssr-room');
  useEvent('ssr-room', 'message', () => {});
  const messages = useMessages('ssr-room');
  const { pending } = usePublish('ssr-room');
  const { members } = usePresence('ssr-room', { name: 'Server' });
  const watchers = usePresenceListener('ssr-room');
  const { typing } = useTyping('ssr-room');
  return (
    <p>
      {connection.state}/{connection.attempt}/{queue.size}/{messages.length}/{pending}/
      {members.length}/{watchers.length}/{typing.length}
    </p>
  );
}

describe('server rendering', () => {
  it('renderToString with every hook does not connect and renders the idle snapshot', () => {
    const hub = createMemoryHub();
    const client = createRealtime({ transport: memoryTransport({ hub }), clientId: 'ssr' });
    const html = renderToString(
      <RealtimeProvider client={client}>
        <EveryHook />
      </RealtimeProvider>,
    );
    expect(html.replaceAll('<!-- -->', '')).toBe('<p>idle/0/0/0/0/0/0/0</p>');
    expect(client.connection.getSnapshot().state).toBe('idle');
    expect(hub.stats().connections).toBe(0);
    expect(hub.subscriberCount('ssr-room')).toBe(0);
  });
});
