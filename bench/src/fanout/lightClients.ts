/**
 * Subscribers that cost as little client CPU as possible, so a fan-out measures the server:
 * a Socket.IO client written straight on a TCP socket (WebSocket framing + Engine.IO v4 +
 * Socket.IO v5 text packets, no parser library), and an SSE client on a bare TCP socket.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export interface LightSubscriber {
  close(): void;
}

/** Pull `"i":<n>` out of a text frame without JSON.parse. */
export function readIndex(text: string, from = 0, to = text.length): number {
  const at = text.indexOf('"i":', from);
  if (at === -1 || at >= to) return -1;
  let value = 0;
  for (let k = at + 4; k < text.length; k++) {
    const code = text.charCodeAt(k);
    if (code < 48 || code > 57) break;
    value = value * 10 + (code - 48);
  }
  return value;
}

/** One masked client text frame. */
function frame(text: string): Buffer {
  const payload = Buffer.from(text);
  const length = payload.length;
  const header = length < 126 ? 2 : 4;
  const out = Buffer.alloc(header + 4 + length);
  out[0] = 0x81;
  if (length < 126) out[1] = 0x80 | length;
  else {
    out[1] = 0x80 | 126;
    out.writeUInt16BE(length, 2);
  }
  const mask = randomBytes(4);
  mask.copy(out, header);
  for (let k = 0; k < length; k++)
    out[header + 4 + k] = (payload[k] as number) ^ (mask[k & 3] as number);
  return out;
}

export interface SocketIOLightOptions {
  url: string;
  path: string;
  /** Socket.IO CONNECT auth. */
  auth: Record<string, unknown>;
  /** Text packets sent once the namespace is connected (e.g. a subscribe or join with ack). */
  afterConnect: string[];
  /** Resolves `open` once a packet starting with this arrives (e.g. the ack `430`). */
  readyWhen: string;
  /** Called with every EVENT packet's text (`42[…]`). */
  onEvent: (text: string) => void;
}

export function socketIOLight(options: SocketIOLightOptions): Promise<LightSubscriber> {
  const { hostname, port } = new URL(options.url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: hostname, port: Number(port) });
    socket.setNoDelay(true);
    const key = randomBytes(16).toString('base64');
    let upgraded = false;
    let pending: Buffer = Buffer.alloc(0);
    let ready = false;
    const subscriber: LightSubscriber = { close: () => socket.destroy() };
    const send = (text: string) => socket.write(frame(text));
    const onPacket = (text: string) => {
      const type = text.charCodeAt(0);
      if (type === 52 /* '4' message */) {
        if (text.charCodeAt(1) === 50 /* '2' event */) options.onEvent(text);
        else if (text.startsWith('40')) for (const packet of options.afterConnect) send(packet);
        else if (text.startsWith('44')) reject(new Error(`socket.io refused: ${text}`));
        if (!ready && text.startsWith(options.readyWhen)) {
          ready = true;
          resolve(subscriber);
        }
      } else if (type === 50 /* '2' ping */) send('3');
      else if (type === 48 /* '0' open */) send(`40${JSON.stringify(options.auth)}`);
    };
    socket.on('connect', () => {
      socket.write(
        `GET ${options.path}/?EIO=4&transport=websocket HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      if (!upgraded) {
        const end = pending.indexOf('\r\n\r\n');
        if (end === -1) return;
        if (!pending.subarray(0, 12).toString().includes('101')) {
          reject(new Error(`upgrade refused: ${pending.subarray(0, end).toString()}`));
          socket.destroy();
          return;
        }
        upgraded = true;
        pending = pending.subarray(end + 4);
      }
      // Server frames are unmasked; Engine.IO sends one packet per text frame.
      for (;;) {
        if (pending.length < 2) break;
        const opcode = (pending[0] as number) & 0x0f;
        let length = (pending[1] as number) & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (pending.length < 4) break;
          length = pending.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (pending.length < 10) break;
          length = Number(pending.readBigUInt64BE(2));
          offset = 10;
        }
        if (pending.length < offset + length) break;
        const payload = pending.subarray(offset, offset + length);
        pending = pending.subarray(offset + length);
        if (opcode === 1) onPacket(payload.toString());
        else if (opcode === 8) socket.destroy();
      }
    });
    socket.on('error', (error) => {
      if (!ready) reject(error);
    });
  });
}

export interface SseLightOptions {
  url: string;
  /** Called with every raw chunk of the stream (HTTP chunk-size lines included). */
  onChunk: (text: string) => void;
  /** Resolves `open` once a chunk contains this. */
  readyWhen: string;
}

/**
 * An SSE stream on a bare TCP socket: one GET, then every read goes to `onChunk` as text. The
 * servers here write each event as one HTTP chunk, so chunk-size lines only ever sit between
 * events and a line-based scan of the text is enough.
 */
export function sseLight(options: SseLightOptions): Promise<LightSubscriber> {
  const { hostname, port, pathname, search } = new URL(options.url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ host: hostname, port: Number(port) });
    let ready = false;
    let answered = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      socket.write(
        `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAccept: text/event-stream\r\n\r\n`,
      );
    });
    socket.on('data', (chunk: string) => {
      if (!ready) {
        if (!answered && !chunk.startsWith('HTTP/1.1 200')) {
          reject(new Error(`stream refused: ${chunk.slice(0, 80)}`));
          socket.destroy();
          return;
        }
        answered = true;
        if (chunk.includes(options.readyWhen)) {
          ready = true;
          resolve({ close: () => socket.destroy() });
        }
      }
      options.onChunk(chunk);
    });
    socket.on('error', (error) => {
      if (!ready) reject(error);
    });
  });
}
