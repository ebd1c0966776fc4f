import { defineChannel, type RealtimeMessage } from '@patchbay/realtime-core';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { useChannel } from './useChannel.js';
import { useEvent } from './useEvent.js';
import { useMessages } from './useMessages.js';
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
