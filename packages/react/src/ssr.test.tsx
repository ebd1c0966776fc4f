// @vitest-environment node
import { createRealtime } from '@patchbay/realtime-core';
import { createMemoryHub, memoryTransport } from '@patchbay/realtime-core/memory';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { RealtimeProvider } from './RealtimeProvider.js';
import { useChannel } from './useChannel.js';
import { useChannelState } from './useChannelState.js';
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
  useEvent('ssr-room', ['a', 'b'], () => {});
  useEvent('ssr-room', () => {});
  const channel = useChannelState('ssr-room');
  const messages = useMessages('ssr-room', { history: 10 });
  const { pending } = usePublish('ssr-room');
  const { members, self, others } = usePresence('ssr-room', { name: 'Server' });
  const watchers = usePresenceListener('ssr-room');
  const { typing } = useTyping('ssr-room');
  return (
    <p>
      {connection.state}/{connection.attempt}/{queue.size}/{messages.length}/{pending}/
      {members.length}/{watchers.length}/{typing.length}/{channel.state}/{self ? 'self' : '-'}/
      {others.length}
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
    expect(html.replaceAll('<!-- -->', '')).toBe('<p>idle/0/0/0/0/0/0/0/detached/-/0</p>');
    expect(client.connection.getSnapshot().state).toBe('idle');
    expect(hub.stats().connections).toBe(0);
    expect(hub.subscriberCount('ssr-room')).toBe(0);
  });

  it('RealtimeProvider config renders the fallback on the server and creates no client', () => {
    const html = renderToString(
      <RealtimeProvider config={{ provider: 'memory' }} fallback={<p>connecting</p>}>
        <EveryHook />
      </RealtimeProvider>,
    );
    expect(html).toBe('<p>connecting</p>');
  });
});
