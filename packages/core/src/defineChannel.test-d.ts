import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { Channel } from './channel.js';
import { createRealtime } from './createRealtime.js';
import { type ChannelDefinition, defineChannel } from './defineChannel.js';
import { memoryTransport } from './memory/memoryTransport.js';
import type { RealtimeMessage } from './message.js';

const chat = defineChannel('chat', {
  message: z.object({ text: z.string() }),
  typing: z.object({ on: z.boolean() }),
});
const counter = defineChannel('counter', {
  set: z.object({ n: z.string().transform((s) => Number(s)) }),
});
const client = createRealtime({ transport: memoryTransport() });

describe('defineChannel types', () => {
  it('keeps the literal channel name', () => {
    expectTypeOf(chat.name).toEqualTypeOf<'chat'>();
    expectTypeOf(chat).toExtend<ChannelDefinition<'chat'>>();
  });

  it('types publish from the schemas', () => {
    const channel = client.channel(chat);
    expectTypeOf(channel.publish('message', { text: 'hi' })).toEqualTypeOf<Promise<void>>();
    channel.publish('typing', { on: true }, { id: 'k1' });
    // @ts-expect-error text must be a string
    channel.publish('message', { text: 1 });
    // @ts-expect-error text is required
    channel.publish('message', {});
    // @ts-expect-error the payload of another event
    channel.publish('message', { on: true });
    // @ts-expect-error unknown event name
    channel.publish('mesage', { text: 'hi' });
    expectTypeOf(channel.publish).parameter(0).toEqualTypeOf<'message' | 'typing'>();
  });

  it('types a handler for one event with the schema output', () => {
    client.channel(chat).subscribe('message', (m) => {
      expectTypeOf(m.data).toEqualTypeOf<{ text: string }>();
      expectTypeOf(m.event).toEqualTypeOf<'message'>();
      expectTypeOf(m.id).toBeString();
      expectTypeOf(m.clientId).toEqualTypeOf<string | undefined>();
      expectTypeOf(m.timestamp).toBeNumber();
    });
    // @ts-expect-error unknown event name
    client.channel(chat).subscribe('mesage', () => {});
  });

  it('gives a catch-all handler a union discriminated on event', () => {
    client.channel(chat).subscribe((m) => {
      expectTypeOf(m).toEqualTypeOf<
        RealtimeMessage<'message', { text: string }> | RealtimeMessage<'typing', { on: boolean }>
      >();
      if (m.event === 'typing') expectTypeOf(m.data).toEqualTypeOf<{ on: boolean }>();
      else expectTypeOf(m.data).toEqualTypeOf<{ text: string }>();
    });
  });

  it('publishes the schema input and receives the schema output', () => {
    const channel = client.channel(counter);
    channel.publish('set', { n: '3' });
    // @ts-expect-error the input is a string; the number is the output
    channel.publish('set', { n: 3 });
    channel.subscribe('set', (m) => expectTypeOf(m.data).toEqualTypeOf<{ n: number }>());
  });

  it('leaves an untyped channel open to any event and data', () => {
    const channel = client.channel('x');
    expectTypeOf(channel).toEqualTypeOf<
      Channel<Record<string, unknown>, Record<string, unknown>>
    >();
    channel.publish('anything', 42);
    channel.publish('other', { deep: [1, 2] });
    channel.subscribe('anything', (m) => expectTypeOf(m.data).toBeUnknown());
  });

  it('types a channel from a type argument without a schema', () => {
    const channel = client.channel<{ ping: number }>('x');
    channel.publish('ping', 1);
    // @ts-expect-error ping carries a number
    channel.publish('ping', 'one');
    // @ts-expect-error unknown event name
    channel.publish('pong', 1);
    channel.subscribe('ping', (m) => expectTypeOf(m.data).toEqualTypeOf<number>());
    channel.subscribe((m) => expectTypeOf(m).toEqualTypeOf<RealtimeMessage<'ping', number>>());
  });
});
