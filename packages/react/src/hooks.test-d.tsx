import {
  type ChannelSnapshot,
  createRealtime,
  defineChannel,
  type PresenceMember,
  type RealtimeMessage,
} from '@patchbay/realtime-core';
import { memoryTransport } from '@patchbay/realtime-core/memory';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { RealtimeProvider } from './RealtimeProvider.js';
import { useChannel } from './useChannel.js';
import { useChannelState } from './useChannelState.js';
import { useEvent } from './useEvent.js';
import { useMessages } from './useMessages.js';
import { usePresence } from './usePresence.js';
import { usePresenceListener } from './usePresenceListener.js';
import { usePublish } from './usePublish.js';

const chat = defineChannel('chat', {
  message: z.object({ text: z.string() }),
  reaction: z.object({ emoji: z.string(), count: z.number().default(1) }),
});

describe('hook payload types come from the channel schemas', () => {
  it('useEvent types the message by event name', () => {
    useEvent(chat, 'message', (message) => {
      expectTypeOf(message.data).toEqualTypeOf<{ text: string }>();
      expectTypeOf(message.event).toEqualTypeOf<'message'>();
    });
    // @ts-expect-error: not an event of this channel
    useEvent(chat, 'typo', () => {});
  });

  it('usePublish checks event names and payloads (schema input: defaults optional)', () => {
    const { publish, publishAsync } = usePublish(chat);
    publish('message', { text: 'hi' });
    publish('reaction', { emoji: '🎉' });
    // @ts-expect-error: wrong payload
    publish('message', { text: 1 });
    // @ts-expect-error: unknown event
    publish('nope', {});
    expectTypeOf(publishAsync('message', { text: 'x' })).toEqualTypeOf<Promise<void>>();
  });

  it('useMessages narrows to one event or unions all of them', () => {
    const one = useMessages(chat, { event: 'reaction' });
    expectTypeOf(one[0]!.data).toEqualTypeOf<{ emoji: string; count: number }>();
    const all = useMessages(chat);
    expectTypeOf(all[0]!).toEqualTypeOf<
      | RealtimeMessage<'message', { text: string }>
      | RealtimeMessage<'reaction', { emoji: string; count: number }>
    >();
  });

  it('useChannel returns a typed channel; a plain name is untyped', () => {
    const channel = useChannel(chat);
    channel.publish('message', { text: 'ok' });
    // @ts-expect-error: wrong payload
    channel.publish('message', { nope: true });
    const loose = useChannel('anything');
    loose.publish('whatever', { any: 'thing' });
  });
});

const lobby = defineChannel(
  'lobby',
  { wave: z.object({ to: z.string() }) },
  {
    presence: z.object({
      name: z.string(),
      status: z.enum(['online', 'away']).default('online'),
    }),
  },
);
type LobbyMember = { name: string; status: 'online' | 'away' };

describe('presence data comes from the presence schema', () => {
  it('usePresence takes the schema input and returns members, self and others with its output', () => {
    const { members, self, others, error } = usePresence(lobby, { name: 'Ada' });
    expectTypeOf(members).toEqualTypeOf<readonly PresenceMember<LobbyMember>[]>();
    expectTypeOf(self).toEqualTypeOf<PresenceMember<LobbyMember> | undefined>();
    expectTypeOf(others).toEqualTypeOf<readonly PresenceMember<LobbyMember>[]>();
    expectTypeOf(error).toEqualTypeOf<Error | undefined>();
    usePresence(lobby, { name: 'Ada', status: 'away' });
  });

  it('wrong presence data is a type error', () => {
    // @ts-expect-error: name must be a string
    usePresence(lobby, { name: 1 });
    // @ts-expect-error: name is required
    usePresence(lobby, { status: 'away' });
    // @ts-expect-error: not a status the schema allows
    usePresence(lobby, { name: 'Ada', status: 'busy' });
  });

  it('usePresenceListener and useChannel carry the same types', () => {
    const watching = usePresenceListener(lobby, (event) => {
      if (event.type !== 'sync') expectTypeOf(event.member.data).toEqualTypeOf<LobbyMember>();
    });
    expectTypeOf(watching).toEqualTypeOf<readonly PresenceMember<LobbyMember>[]>();
    const channel = useChannel(lobby);
    expectTypeOf(channel.presence.getSnapshot()).toEqualTypeOf<
      readonly PresenceMember<LobbyMember>[]
    >();
    channel.presence.hold({ name: 'Ada' });
    // @ts-expect-error: wrong presence data
    channel.presence.hold({ name: false });
  });

  it('a channel without a presence schema is typed from the data passed', () => {
    const { members } = usePresence('anywhere', { cursor: 3 });
    expectTypeOf(members[0]!.data).toEqualTypeOf<{ cursor: number }>();
    const { self } = usePresence(chat, { name: 'Ada' });
    expectTypeOf(self).toEqualTypeOf<PresenceMember<{ name: string }> | undefined>();
    expectTypeOf(usePresenceListener<{ cursor: number }>('anywhere')).toEqualTypeOf<
      readonly PresenceMember<{ cursor: number }>[]
    >();
  });
});

describe('useEvent with several events or all of them', () => {
  it('a list narrows the message by event', () => {
    useEvent(chat, ['message', 'reaction'], (message) => {
      expectTypeOf(message.event).toEqualTypeOf<'message' | 'reaction'>();
      if (message.event === 'message') expectTypeOf(message.data).toEqualTypeOf<{ text: string }>();
      else expectTypeOf(message.data).toEqualTypeOf<{ emoji: string; count: number }>();
    });
    useEvent(chat, ['reaction'], (message) => {
      expectTypeOf(message).toEqualTypeOf<
        RealtimeMessage<'reaction', { emoji: string; count: number }>
      >();
    });
    // @ts-expect-error: not an event of this channel
    useEvent(chat, ['message', 'typo'], () => {});
  });

  it('the all-events form receives the union of the channel’s messages', () => {
    useEvent(chat, (message) => {
      expectTypeOf(message).toEqualTypeOf<
        | RealtimeMessage<'message', { text: string }>
        | RealtimeMessage<'reaction', { emoji: string; count: number }>
      >();
    });
    useEvent('loose', (message) => {
      expectTypeOf(message.data).toEqualTypeOf<unknown>();
    });
  });
});

describe('channel state and the provider', () => {
  it('useChannelState returns the channel snapshot', () => {
    expectTypeOf(useChannelState(chat)).toEqualTypeOf<ChannelSnapshot>();
  });

  it('RealtimeProvider takes a client or a config, not both', () => {
    const client = createRealtime({ transport: memoryTransport({}) });
    const elements = [
      <RealtimeProvider key="client" client={client} onError={(error) => error.code} />,
      <RealtimeProvider key="config" config={{ provider: 'sse', url: 'http://x.test' }} />,
      // @ts-expect-error: a client or a config, not both
      <RealtimeProvider key="both" client={client} config={{ provider: 'memory' }} />,
      // @ts-expect-error: the config is checked (sse needs a url)
      <RealtimeProvider key="bad" config={{ provider: 'sse' }} />,
    ];
    expectTypeOf(elements).toBeArray();
  });
});
