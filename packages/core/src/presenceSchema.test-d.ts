import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import type { Channel } from './channel.js';
import type { PresenceHold } from './channelPresence.js';
import { createRealtime } from './createRealtime.js';
import { defineChannel } from './defineChannel.js';
import { memoryTransport } from './memory/memoryTransport.js';
import type { PresenceMember } from './presenceSet.js';

const room = defineChannel(
  'room',
  { note: z.object({ text: z.string() }) },
  { presence: z.object({ name: z.string(), since: z.string().transform((s) => new Date(s)) }) },
);
type Input = { name: string; since: string };
type Output = { name: string; since: Date };
const client = createRealtime({ transport: memoryTransport() });

describe('presence types', () => {
  it('types members and events with the presence schema output', () => {
    const channel = client.channel(room);
    expectTypeOf(channel).toEqualTypeOf<
      Channel<{ note: { text: string } }, { note: { text: string } }, Output, Input>
    >();
    expectTypeOf(channel.presence.getSnapshot()).toEqualTypeOf<readonly PresenceMember<Output>[]>();
    channel.presence.onEvent((event) => {
      if (event.type !== 'sync') expectTypeOf(event.member.data).toEqualTypeOf<Output>();
    });
  });

  it('takes the schema input in enter, update and hold', () => {
    const { presence } = client.channel(room);
    presence.enter({ name: 'Ada', since: '2026-01-01' });
    presence.update({ name: 'Ada', since: '2026-01-02' });
    const hold = presence.hold({ name: 'Ada', since: '2026-01-01' });
    expectTypeOf(hold).toEqualTypeOf<PresenceHold<Input>>();
    hold.update({ name: 'Ada', since: '2026-01-03' });
    presence.hold();
  });

  it('makes wrong presence data a type error', () => {
    const { presence } = client.channel(room);
    // @ts-expect-error name must be a string
    presence.enter({ name: 1, since: '2026-01-01' });
    // @ts-expect-error since is required
    presence.update({ name: 'Ada' });
    // @ts-expect-error the input is a string; the Date is the output
    presence.hold({ name: 'Ada', since: new Date() });
    // @ts-expect-error an unknown field
    presence.hold({ name: 'Ada', since: '2026-01-01' }).update({ nick: 'a' });
  });

  it('leaves presence unknown without a presence schema', () => {
    const plain = defineChannel('plain', { note: z.object({ text: z.string() }) });
    expectTypeOf(client.channel(plain).presence.getSnapshot()).toEqualTypeOf<
      readonly PresenceMember<unknown>[]
    >();
    expectTypeOf(client.channel('x').presence.getSnapshot()).toEqualTypeOf<
      readonly PresenceMember<unknown>[]
    >();
    client.channel('x').presence.enter({ anything: true });
  });
});
