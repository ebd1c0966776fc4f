/**
 * One SSE stream's session, shared by the fetch handler (`createSseHandler`, bytes into a web
 * `ReadableStream`) and the Node handler (`createSseNodeHandler`, bytes straight into the
 * `ServerResponse`): authentication, the welcome, heartbeats, the `?channels=` subscriptions, the
 * resume cursor and the `SessionLink` the hub pushes frames through.
 */
import { ErrorCodes } from '@patchbay/realtime-core';
import { type OutboundFrame, type WireError, wireFailure } from '../frames.js';
import type { Hub, HubSession, SessionLink } from '../hub.js';
import { HubError } from '../hubError.js';
import { type BacklogWatch, slowConsumerError, watchBacklog } from '../internal/slowConsumer.js';
import {
  decodeCursor,
  encodeComment,
  encodeCursor,
  encodeEvent,
  encodeMessageEvent,
} from './sseWire.js';

/** Where a stream's bytes go: a web stream controller, or a Node `ServerResponse` as it is. */
export interface SseSink {
  /**
   * Queue a chunk. Returns the bytes written to this sink that the client has not taken yet (the
   * response's `writableLength`, the web stream's queue): the stream's backpressure signal.
   */
  write(chunk: Uint8Array): number;
  /** End the body after what is queued. */
  end(): void;
  /** Drop what is still queued and cut the link now (a slow consumer that never took its end). */
  abort(): void;
  /** The bytes written to this sink that the client has not taken yet. */
  unsent(): number;
}

/** What `GET …/stream` asks for. */
export interface SseStreamRequest {
  token: string | undefined;
  clientId: string | undefined;
  echo: boolean;
  channels: string[];
  /** Resume positions from `Last-Event-ID` (or `?lastEventId=`). */
  cursor: Map<string, number>;
}

export function parseStreamRequest(
  url: URL,
  authorization: string | null | undefined,
  lastEventId: string | null | undefined,
): SseStreamRequest {
  return {
    token: bearerToken(authorization) ?? url.searchParams.get('token') ?? undefined,
    // An empty ?clientId= asks for no particular identity, as a missing one does.
    clientId: url.searchParams.get('clientId') || undefined,
    echo: url.searchParams.get('echo') !== '0',
    channels: (url.searchParams.get('channels') ?? '').split(',').filter(Boolean),
    cursor: decodeCursor(lastEventId ?? url.searchParams.get('lastEventId')),
  };
}

export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/**
 * The CORS response headers for a request from `origin`, or none when it is not listed. A
 * same-origin request needs none; a cross-origin one that is not listed is refused before this
 * (`refusedOrigin`), since a `text/plain` POST reaches the server without a preflight.
 */
export function corsHeaders(
  rule: true | readonly string[],
  origin: string | null | undefined,
): Record<string, string> | undefined {
  if (!origin) return undefined;
  if (rule !== true && !rule.includes(origin)) return undefined;
  // Tokens travel in the Authorization header, not cookies: no credentials mode is needed.
  return {
    'access-control-allow-origin': origin,
    vary: 'origin',
    'access-control-allow-headers':
      'authorization, content-type, last-event-id, x-patchbay-connection',
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-max-age': '600',
  };
}

/** The 403 body for a browser request from an origin that is neither the hub's own nor listed. */
export function refusedOrigin(origin: string): { ok: false; error: WireError } {
  return wireFailure(
    ErrorCodes.AuthRejected,
    `Requests from origin ${origin} are refused: the hub allows cross-origin browser access only from listed origins. List it with createHubServer({ allowedOrigins: ['${origin}'] }), patchbay-server --allow-origin ${origin}, or createSseHandler(hub, { cors: { origin: ['${origin}'] } }).`,
  );
}

export function bearerToken(header: string | null | undefined): string | undefined {
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  return match?.[1];
}

export type SseStreamOpening =
  | { ok: true; stream: SseStream }
  | { ok: false; status: number; body: { ok: false; error: WireError } };

/**
 * The hub side of one stream, and the session's link. Frames become events written to the sink
 * synchronously, in the order the session sends them: a `message` event is encoded once per
 * message for every stream (`encodeMessageEvent`), and nothing is allocated per delivery beyond
 * the cursor update.
 */
export class SseStream implements SessionLink {
  /** Last sequence number sent per channel (and each `?channels=` subscribe position). */
  readonly positions = new Map<string, number>();
  #hub!: Hub;
  #session!: HubSession;
  #sink: SseSink | undefined;
  /** Watches the backlog once it first passes the bound. */
  #backlog: BacklogWatch | undefined;
  #closed = false;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  private constructor() {}

  /** Authenticate and open the session; a refusal is the status and JSON body to answer. */
  static async open(hub: Hub, request: SseStreamRequest): Promise<SseStreamOpening> {
    const stream = new SseStream();
    stream.#hub = hub;
    try {
      stream.#session = await hub.openSession(
        { token: request.token, clientId: request.clientId, echo: request.echo },
        stream,
      );
    } catch (error) {
      const failure =
        error instanceof HubError
          ? error.toWire()
          : wireFailure(ErrorCodes.TransportError, String(error), true).error;
      return {
        ok: false,
        status: failure.code === ErrorCodes.AuthRejected ? 401 : 500,
        body: { ok: false, error: failure },
      };
    }
    return { ok: true, stream };
  }

  get session(): HubSession {
    return this.#session;
  }

  /**
   * Start writing to `sink`: the welcome, then heartbeats, and the `?channels=` subscriptions in
   * order. Frames the session sends before this are dropped (none can be: nothing is subscribed).
   */
  start(sink: SseSink, request: SseStreamRequest, heartbeatMs: number): void {
    this.#sink = sink;
    if (this.#closed) {
      this.#endSink();
      return;
    }
    const session = this.#session;
    this.#write(
      encodeEvent('welcome', {
        clientId: session.clientId,
        connectionId: session.id,
        heartbeatMs,
      }),
    );
    this.#heartbeat = setInterval(() => {
      if (!session.blackholed) this.#write(encodeComment('ping'));
    }, heartbeatMs);
    this.#heartbeat.unref?.();
    void this.#subscribe(request.channels, request.cursor);
  }

  async #subscribe(channels: string[], cursor: Map<string, number>): Promise<void> {
    const session = this.#session;
    for (const channel of channels) {
      const resumeFrom = cursor.get(channel);
      const reply = await session.handle({
        op: 'subscribe',
        channel,
        ...(resumeFrom !== undefined ? { resumeFrom } : {}),
      });
      if (reply && !reply.ok) this.#write(encodeEvent('error', { ...reply.error, channel }));
      else if (reply?.seq !== undefined && !this.positions.has(channel))
        this.positions.set(channel, reply.seq);
    }
  }

  /** `SessionLink.send`: one frame, one event. */
  send(frame: OutboundFrame): void {
    if (frame.type === 'message') {
      if (frame.seq !== undefined) this.positions.set(frame.channel, frame.seq);
      // Serialized once per message for every stream (see encodeMessageEvent).
      this.#write(encodeMessageEvent(frame, this.positions));
    } else if (frame.type === 'presence') {
      this.#write(
        encodeEvent(
          'presence',
          { channel: frame.channel, event: frame.event },
          encodeCursor(this.positions),
        ),
      );
    } else if (frame.type === 'discontinuity') {
      // The channel's positions restart: the cursor follows the messages that come next.
      this.positions.delete(frame.channel);
      const { type: _type, ...discontinuity } = frame;
      this.#write(encodeEvent('discontinuity', discontinuity, encodeCursor(this.positions)));
    } else {
      this.#write(encodeEvent('error', frame.error, encodeCursor(this.positions)));
    }
  }

  /** `SessionLink.unsent`: what the sink holds that the client has not taken. */
  unsent(): number {
    return this.#closed ? 0 : (this.#sink?.unsent() ?? 0);
  }

  /** `SessionLink.terminate`: end the body mid-session; the client sees a drop, not a goodbye. */
  terminate(): void {
    this.lost();
  }

  /** The stream is gone (client left, body cancelled, terminated): the session closes as `lost`. */
  lost(): void {
    this.end();
    void this.#session.close('lost');
  }

  /** End the body (once); later writes are dropped. */
  end(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#backlog?.stop();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#endSink();
  }

  #endSink(): void {
    try {
      this.#sink?.end();
    } catch {
      // Already closed by the client.
    }
  }

  #write(chunk: Uint8Array): void {
    if (this.#closed) return;
    const sink = this.#sink;
    if (!sink) return;
    let unsent: number;
    try {
      unsent = sink.write(chunk);
    } catch {
      this.end();
      return;
    }
    if (unsent > this.#hub.maxBufferedBytes) {
      this.#backlog ??= watchBacklog(
        this.#hub,
        () => sink.unsent(),
        () => this.#closeSlowConsumer(sink),
      );
      this.#backlog.check();
    }
  }

  /**
   * The client is not taking its bytes: stop buffering for it. The goodbye goes after what is
   * queued (a slow reader still gets it; a stopped one never will), the body ends, and the link
   * is cut after a linger so the queued bytes are freed. The session closes as `lost`: presence
   * waits out its grace, and the client resumes from its cursor when it reconnects.
   */
  #closeSlowConsumer(sink: SseSink): void {
    const hub = this.#hub;
    hub.noteSlowConsumer();
    try {
      sink.write(
        encodeEvent('error', slowConsumerError(hub.maxBufferedBytes), encodeCursor(this.positions)),
      );
    } catch {
      // The sink is already closed: nothing more can reach this client.
    }
    this.end();
    const linger = setTimeout(() => sink.abort(), hub.slowConsumerLingerMs);
    linger.unref?.();
    void this.#session.close('lost');
  }
}
