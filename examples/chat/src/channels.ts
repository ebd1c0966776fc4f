import { defineChannel } from '@patchbay/realtime-core';
import { z } from 'zod';

/** Every room has the same events; the schemas type the hooks and validate both ways. */
export function roomChannel(room: string) {
  return defineChannel(`room-${room}`, {
    message: z.object({ text: z.string().min(1).max(2_000) }),
  });
}

export type RoomChannel = ReturnType<typeof roomChannel>;

export interface Member {
  name: string;
}
