/**
 * The two sides compared per provider, each a publisher client and a subscriber client against
 * the same server: `raw` uses the vendor client directly (the way an app without Patchbay would),
 * `patchbay` uses `createRealtime` with the provider's transport.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { ablyTransport } from '@patchbay/realtime-ably';
import {
  createRealtime,
  noConnectivitySignals,
  type RealtimeClient,
} from '@patchbay/realtime-core';
import type { Transport } from '@patchbay/realtime-core/transport';
import { pusherTransport } from '@patchbay/realtime-pusher';
import { socketioTransport } from '@patchbay/realtime-socketio';
import { sseTransport } from '@patchbay/realtime-sse';
import * as Ably from 'ably';
import Pusher from 'pusher-js';
import { io } from 'socket.io-client';
import type { AblyInfo, HubInfo, PusherInfo } from '../servers/protocol.js';

export interface Payload {
  /** Run number, so late messages of an earlier run are never counted. */
  r: number;
  /** Index within the run. */
  i: number;
}

export interface Side {
  readonly label: 'raw' | 'patchbay';
  /** Publish one message; resolves on the provider's ack (every side here is acknowledged). */
  send(data: Payload): Promise<void>;
  /** Called for every message the subscriber receives. */
  onMessage: (data: Payload) => void;
  close(): Promise<void>;
}

export type Provider = 'socketio' | 'sse' | 'pusher' | 'ably';

const noop = () => {};

// Patchbay ----------------------------------------------------------------------------------------

async function patchbaySide(
  makeTransport: () => Transport,
  options: { channel: string; token?: boolean },
): Promise<Side> {
  const client = (clientId: string): RealtimeClient =>
    createRealtime({
      transport: makeTransport(),
      clientId,
      connectivity: noConnectivitySignals,
      ...(options.token ? { auth: () => `${clientId}.token` } : {}),
    });
  const subscriber = client('pb-sub');
  const publisher = client('pb-pub');
  await Promise.all([subscriber.connect(), publisher.connect()]);
  const side: Side = {
    label: 'patchbay',
    onMessage: noop,
    send: (data) => out.publish('m', data),
    close: async () => {
      subscriber.close();
      publisher.close();
    },
  };
  const incoming = subscriber.channel<{ m: Payload }>(options.channel);
  incoming.subscribe('m', (message) => side.onMessage(message.data));
  await incoming.ready();
  const out = publisher.channel<{ m: Payload }>(options.channel);
  return side;
}

// Socket.IO (hub) ---------------------------------------------------------------------------------

async function rawSocketIO({ url }: HubInfo): Promise<Side> {
  const channel = 'bench-raw';
  const connect = async (clientId: string) => {
    const socket = io(url, {
      path: '/patchbay/socket.io',
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { clientId, echo: true },
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('pb:welcome', () => resolve());
      socket.once('connect_error', reject);
    });
    return socket;
  };
  const [subscriber, publisher] = await Promise.all([connect('raw-sub'), connect('raw-pub')]);
  let id = 0;
  const side: Side = {
    label: 'raw',
    onMessage: noop,
    send: (data) =>
      new Promise<void>((resolve, reject) => {
        publisher.emit(
          'pb',
          { op: 'publish', channel, id: `raw-${id++}`, event: 'm', data },
          (reply: { ok: boolean }) => (reply.ok ? resolve() : reject(new Error('refused'))),
        );
      }),
    close: async () => {
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
  subscriber.on('pb:message', (message: { data: Payload }) => side.onMessage(message.data));
  const reply = (await subscriber.emitWithAck('pb', { op: 'subscribe', channel })) as {
    ok: boolean;
  };
  if (!reply.ok) throw new Error('raw socket.io subscribe refused');
  return side;
}

// SSE (hub) ---------------------------------------------------------------------------------------

export interface RawSseStream {
  connectionId: string;
  close(): void;
}

/** GET the hub's stream with node:http and parse SSE by hand: the EventSource way, minus the browser. */
export function openRawStream(
  base: string,
  clientId: string,
  onEvent: (event: string, data: string) => void,
): Promise<RawSseStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/stream?clientId=${clientId}&echo=1`, {
      headers: { accept: 'text/event-stream' },
    });
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        reject(new Error(`stream answered ${res.statusCode}`));
        return;
      }
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf('\n\n');
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data = line.slice(6);
          }
          if (data) {
            if (event === 'welcome') {
              const { connectionId } = JSON.parse(data) as { connectionId: string };
              resolve({ connectionId, close: () => req.destroy() });
            } else onEvent(event, data);
          }
          end = buffer.indexOf('\n\n');
        }
      });
      res.on('error', () => {});
    });
    req.end();
  });
}

async function postJson(url: string, connectionId: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-patchbay-connection': connectionId },
    body: JSON.stringify(body),
  });
  const reply = (await response.json()) as { ok: boolean };
  if (!reply.ok) throw new Error(`hub refused: ${JSON.stringify(reply)}`);
  return reply;
}

async function rawSse({ url }: HubInfo): Promise<Side> {
  const base = `${url}/patchbay/sse`;
  const channel = 'bench-raw';
  const side: Side = {
    label: 'raw',
    onMessage: noop,
    send: undefined as never,
    close: undefined as never,
  };
  const subscriber = await openRawStream(base, 'raw-sub', (event, data) => {
    if (event === 'message') side.onMessage((JSON.parse(data) as { data: Payload }).data);
  });
  const publisher = await openRawStream(base, 'raw-pub', noop);
  await postJson(`${base}/subscribe`, subscriber.connectionId, { channel });
  // Publishes go out as batches, one POST at a time, so the hub sees them in order.
  let pending: Array<{ data: Payload; resolve: () => void; reject: (error: unknown) => void }> = [];
  let sending = false;
  let id = 0;
  const flush = async (): Promise<void> => {
    if (sending || pending.length === 0) return;
    sending = true;
    const batch = pending.slice(0, 500);
    pending = pending.slice(batch.length);
    try {
      const reply = (await postJson(`${base}/publish`, publisher.connectionId, {
        messages: batch.map(({ data }) => ({ channel, id: `raw-${id++}`, event: 'm', data })),
      })) as { results: Array<{ ok: boolean }> };
      batch.forEach((item, index) => {
        if (reply.results[index]?.ok) item.resolve();
        else item.reject(new Error('refused'));
      });
    } catch (error) {
      for (const item of batch) item.reject(error);
    } finally {
      sending = false;
      void flush();
    }
  };
  side.send = (data) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ data, resolve, reject });
      void flush();
    });
  side.close = async () => {
    subscriber.close();
    publisher.close();
  };
  return side;
}

// Pusher (emulator) -------------------------------------------------------------------------------

async function rawPusher({ key, appUrl, clientOptions }: PusherInfo): Promise<Side> {
  const channelName = 'private-bench-raw';
  const make = (user: string) =>
    new Pusher(key, {
      ...clientOptions,
      channelAuthorization: {
        customHandler: ({ socketId, channelName: name }, callback) => {
          fetch(`${appUrl}/raw/auth`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: `Bearer ${user}`,
            },
            body: new URLSearchParams({ socket_id: socketId, channel_name: name }),
          })
            .then(async (response) => callback(null, (await response.json()) as { auth: string }))
            .catch((error: Error) => callback(error, null));
        },
      },
    });
  const subscriber = make('raw-sub');
  const side: Side = {
    label: 'raw',
    onMessage: noop,
    send: undefined as never,
    close: undefined as never,
  };
  const channel = subscriber.subscribe(channelName);
  channel.bind('m', (data: Payload) => side.onMessage(data));
  await new Promise<void>((resolve, reject) => {
    channel.bind('pusher:subscription_succeeded', () => resolve());
    channel.bind('pusher:subscription_error', reject);
  });
  // Publishing goes through the app's server (Pusher's recommended path), one request at a
  // time so messages reach Pusher in order.
  let chain: Promise<unknown> = Promise.resolve();
  side.send = (data) => {
    const run = async () => {
      const response = await fetch(`${appUrl}/raw/publish`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer raw-pub' },
        body: JSON.stringify({ channel: channelName, event: 'm', data }),
      });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`publish answered ${response.status}`);
    };
    const result = chain.then(run, run);
    chain = result.catch(noop);
    return result;
  };
  side.close = async () => subscriber.disconnect();
  return side;
}

// Ably (emulator) ---------------------------------------------------------------------------------

async function rawAbly({ clientOptions }: AblyInfo): Promise<Side> {
  const make = async (clientId: string) => {
    const client = new Ably.Realtime({ ...clientOptions, clientId, logLevel: 1 });
    await client.connection.once('connected');
    return client;
  };
  const [subscriber, publisher] = await Promise.all([make('raw-sub'), make('raw-pub')]);
  const side: Side = {
    label: 'raw',
    onMessage: noop,
    send: async (data) => {
      await out.publish('m', data);
    },
    close: async () => {
      subscriber.close();
      publisher.close();
    },
  };
  const out = publisher.channels.get('bench-raw');
  await subscriber.channels
    .get('bench-raw')
    .subscribe('m', (message) => side.onMessage(message.data as Payload));
  return side;
}

// Factories ---------------------------------------------------------------------------------------

export function createSide(
  provider: Provider,
  label: 'raw' | 'patchbay',
  info: unknown,
): Promise<Side> {
  const channel = 'bench-pb';
  switch (provider) {
    case 'socketio': {
      const { url } = info as HubInfo;
      return label === 'raw'
        ? rawSocketIO(info as HubInfo)
        : patchbaySide(() => socketioTransport({ url }), { channel });
    }
    case 'sse': {
      const { url } = info as HubInfo;
      return label === 'raw'
        ? rawSse(info as HubInfo)
        : patchbaySide(() => sseTransport({ url }), { channel });
    }
    case 'pusher': {
      const { key, appUrl, clientOptions } = info as PusherInfo;
      return label === 'raw'
        ? rawPusher(info as PusherInfo)
        : patchbaySide(
            () =>
              pusherTransport({
                key,
                authEndpoint: `${appUrl}/pusher/auth`,
                publishEndpoint: `${appUrl}/pusher/publish`,
                pusherOptions: clientOptions,
              }),
            { channel, token: true },
          );
    }
    case 'ably': {
      const { clientOptions } = info as AblyInfo;
      return label === 'raw'
        ? rawAbly(info as AblyInfo)
        : patchbaySide(
            () =>
              ablyTransport({
                Realtime: Ably.Realtime,
                clientOptions: { ...clientOptions, logLevel: 1 },
              }),
            { channel },
          );
    }
  }
}
