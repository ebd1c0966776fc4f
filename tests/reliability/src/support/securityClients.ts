import type { RealtimeClient, RealtimeMessage } from '@patchbay/realtime-core';
import { waitFor } from '@patchbay/realtime-testkit';
import { io, type Socket } from 'socket.io-client';

/** Messages a client received on one channel, in arrival order. */
export function collect(client: RealtimeClient, channel: string): RealtimeMessage[] {
  const received: RealtimeMessage[] = [];
  client.channel(channel).subscribe((message) => received.push(message));
  return received;
}

/** Run `attempt` and return the error it rejected with (fails the test if it resolved). */
export async function refusal(attempt: () => Promise<unknown>): Promise<{
  code: string;
  message: string;
}> {
  try {
    await attempt();
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('The forbidden operation succeeded.');
}

export interface RawHubSocket {
  socket: Socket;
  welcome: { clientId: string; connectionId: string };
  /** Send one `pb` request and resolve with the hub's reply. */
  request(frame: Record<string, unknown>): Promise<HubReply>;
  close(): void;
}

export type HubReply =
  | { ok: true; seq?: number }
  | { ok: false; error: { code: string; message: string; retryable?: boolean } };

/** A bare socket.io-client on the hub's endpoint, speaking the `pb` frames by hand. */
export async function rawHubSocket(
  url: string,
  auth: Record<string, unknown>,
): Promise<RawHubSocket> {
  const socket = io(url, {
    path: '/patchbay/socket.io',
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    auth,
  });
  const welcome = await new Promise<{ clientId: string; connectionId: string }>(
    (resolve, reject) => {
      socket.once('pb:welcome', resolve);
      socket.once('connect_error', reject);
    },
  );
  return {
    socket,
    welcome,
    request: (frame) =>
      new Promise<HubReply>((resolve) =>
        socket.emit('pb', frame, (reply: HubReply) => resolve(reply)),
      ),
    close: () => {
      socket.removeAllListeners();
      socket.disconnect();
    },
  };
}

/** Connect and attach `channels`, so later publishes are known to reach this client. */
export async function ready(client: RealtimeClient, ...channels: string[]): Promise<void> {
  await client.connect();
  await Promise.all(channels.map((name) => client.channel(name).ready()));
}

/** Wait until `list` holds at least `count` entries. */
export function waitForCount(what: string, list: readonly unknown[], count: number) {
  return waitFor(`${what} (${list.length}/${count})`, () => list.length >= count, {
    timeoutMs: 10_000,
  });
}
