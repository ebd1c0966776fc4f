import { defineChannel } from '@patchbay/realtime-core';
import { z } from 'zod';

const message = z.object({ text: z.string().min(1).max(2_000) });
const presence = z.object({ name: z.string().min(1).max(100) });

function defineRoom(room: string) {
  return defineChannel(`room-${room}`, { message }, { presence });
}

export type RoomChannel = ReturnType<typeof defineRoom>;

const rooms = new Map<string, RoomChannel>();

/**
 * Every room has the same events and the same presence data; the schemas type the hooks and
 * validate both ways. One definition per room for the app's lifetime: a client accepts one
 * definition per channel name, so coming back to a room must reuse it.
 */
export function roomChannel(room: string): RoomChannel {
  let definition = rooms.get(room);
  if (!definition) {
    definition = defineRoom(room);
    rooms.set(room, definition);
  }
  return definition;
}
