import { ConfigError, ErrorCodes, RealtimeError } from '@patchbay/realtime-core';
import {
  productionMessage,
  type Transport,
  type TransportCapabilities,
  type TransportConnection,
  type TransportConnectRequest,
  type TransportHistoryOptions,
  type TransportMessage,
  type TransportPublish,
  type TransportSubscribeOptions,
  type TransportSubscribeResult,
} from '@patchbay/realtime-core/transport';
import { createParser } from 'eventsource-parser';
import {
  dispatch,
  httpError,
  lostError,
  type OkReply,
  parse,
  type Reply,
  replyError,
  silenceError,
  timeoutError,
  unreachable,
} from './sseWire.js';

export interface SseTransportOptions {
  /** The hub's base URL, e.g. `http://127.0.0.1:8787` (or your app's origin with a route handler). */
  url: string;
  /** Where the hub's SSE endpoints live. Default `/patchbay/sse`. */
  basePath?: string;
  /**
   * Declare the stream dead after this long without a byte (event or heartbeat) and reconnect.
   * Default: 2.5 × the heartbeat interval the hub announces (15 s → 37.5 s).
   */
  silenceTimeoutMs?: number;
  /** How long subscribe / presence / history requests wait. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** The hub's message size limit. Default 64 KiB. */
  maxMessageBytes?: number;
  /**
   * Send the token in the stream URL (`?token=`) instead of the `Authorization` header. Only for
   * servers or proxies that strip headers: URLs end up in logs and browser history.
   */
  tokenInQuery?: boolean;
  /** Extra headers for every request (e.g. a CSRF token). */
  headers?: Record<string, string>;
  /** Inject `fetch` (tests, custom agents). Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
}

interface PendingPublish {
  message: TransportPublish;
  resolve: () => void;
  reject: (error: RealtimeError) => void;
}

/**
 * The SSE transport for the Patchbay hub: one `fetch` stream down (parsed by eventsource-parser),
 * HTTP POSTs up. Works wherever `fetch` streams: browsers and Node 20. Publishes from one client
 * travel in ordered batches, so order holds even when the browser spreads POSTs over several
 * connections. Core owns reconnection; this transport only reports a dead stream — an error, an
 * end, or a silence longer than the heartbeat allows.
 */
export function sseTransport(options: SseTransportOptions): Transport {
  if (typeof options?.url !== 'string' || !/^https?:\/\//.test(options.url)) {
    throw new ConfigError(
      process.env.NODE_ENV !== 'production'
        ? `sseTransport: "url" must be an absolute http(s) URL such as http://127.0.0.1:8787; got ${JSON.stringify(options?.url)}.`
        : productionMessage(ErrorCodes.InvalidConfig, 'url', options?.url),
    );
  }
  return new SseTransport(options);
}

class SseTransport implements Transport {
  readonly provider = 'sse';
  readonly capabilities: TransportCapabilities;
  /** The hub's sequence space per channel: a resume is only valid within the same epoch. */
  readonly #epochs = new Map<string, string>();
  readonly #options: SseTransportOptions;
  readonly #base: string;
  #stream: AbortController | undefined;
  #connectionId: string | undefined;
  #token: string | undefined;
  readonly #inflight = new Set<AbortController>();
  #batch: PendingPublish[] = [];
  /** Ends the current stream as lost (used when the hub stops accepting its token). */
  #dropStream: ((error: RealtimeError) => void) | undefined;
  #sending = false;

  constructor(options: SseTransportOptions) {
    this.#options = options;
    this.#base = `${options.url.replace(/\/$/, '')}${(options.basePath ?? '/patchbay/sse').replace(/\/$/, '')}`;
    this.capabilities = Object.freeze({
      clientPublish: true,
      publishAck: true,
      presence: true,
      presenceUpdate: true,
      history: true,
      recovery: true,
      echoControl: true,
      maxMessageBytes: options.maxMessageBytes ?? 64 * 1024,
      // The hub keeps a dropped member for its grace period (5 s by default).
      presenceGrace: true,
    });
  }

  async connect(request: TransportConnectRequest): Promise<TransportConnection> {
    this.disconnect();
    const stream = new AbortController();
    this.#stream = stream;
    if (request.signal.aborted) stream.abort();
    else request.signal.addEventListener('abort', () => stream.abort(), { once: true });
    this.#token = request.token;
    const params = new URLSearchParams({ echo: request.echo ? '1' : '0' });
    if (request.clientId !== undefined) params.set('clientId', request.clientId);
    if (request.token !== undefined && this.#options.tokenInQuery)
      params.set('token', request.token);

    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}/stream?${params}`, {
        headers: { ...this.#headers(), accept: 'text/event-stream' },
        signal: stream.signal,
      });
    } catch (error) {
      throw unreachable(this.#options.url, error);
    }
    if (!response.ok || !response.body) throw await httpError(response);

    return new Promise<TransportConnection>((resolve, reject) => {
      let welcomed = false;
      let silence: ReturnType<typeof setTimeout> | undefined;
      let silenceMs = this.#options.silenceTimeoutMs;
      const armSilence = () => {
        if (silence) clearTimeout(silence);
        if (silenceMs !== undefined)
          silence = setTimeout(() => finish(silenceError(silenceMs as number)), silenceMs);
      };
      this.#dropStream = (error: RealtimeError) => finish(error);
      const finish = (error: RealtimeError) => {
        if (silence) clearTimeout(silence);
        if (this.#stream !== stream) return;
        this.#stream = undefined;
        this.#connectionId = undefined;
        stream.abort();
        this.#failAll(error);
        if (welcomed) request.sink.lost(error);
        else reject(error);
      };
      const parser = createParser({
        onEvent: (event) => {
          armSilence();
          if (event.event === 'welcome') {
            // One welcome per stream: a later one cannot re-point the session.
            if (welcomed) return;
            const welcome = parse<{ clientId: string; connectionId: string; heartbeatMs?: number }>(
              event.data,
            );
            if (!welcome) return;
            silenceMs ??= Math.round((welcome.heartbeatMs ?? 15_000) * 2.5);
            armSilence();
            this.#connectionId = welcome.connectionId;
            welcomed = true;
            resolve({ clientId: welcome.clientId, connectionId: welcome.connectionId });
            return;
          }
          if (welcomed) dispatch(event, request.sink, this.#epochs);
        },
        onComment: () => armSilence(),
      });
      void (async () => {
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            parser.feed(decoder.decode(value, { stream: true }));
          }
          finish(lostError('the server ended the stream'));
        } catch (error) {
          finish(lostError(error instanceof Error ? error.message : String(error)));
        }
      })();
    });
  }

  disconnect(): void {
    const stream = this.#stream;
    const connectionId = this.#connectionId;
    this.#stream = undefined;
    this.#connectionId = undefined;
    if (!stream) return;
    if (connectionId) {
      // Tell the hub this was deliberate so presence leaves at once; the stream closes regardless.
      void this.#fetch(`${this.#base}/close${this.#queryToken()}`, {
        method: 'POST',
        headers: {
          ...this.#headers(),
          'content-type': 'application/json',
          'x-patchbay-connection': connectionId,
        },
        body: '{}',
      }).catch(() => {});
    }
    stream.abort();
    this.#failAll(lostError('the connection was closed'));
  }

  async subscribe(
    channel: string,
    options: TransportSubscribeOptions,
  ): Promise<TransportSubscribeResult> {
    const epoch = this.#epochs.get(channel);
    const reply = await this.#post('subscribe', {
      channel,
      ...(options.resumeFrom !== undefined ? { resumeFrom: options.resumeFrom } : {}),
      ...(options.resumeFrom !== undefined && epoch !== undefined ? { epoch } : {}),
    });
    if (reply.epoch !== undefined) this.#epochs.set(channel, reply.epoch);
    return {
      // Resynced: the hub already sent the discontinuity, then the channel's messages.
      recovered: reply.recovered === true || reply.resynced === true,
      ...(reply.seq !== undefined ? { seq: reply.seq } : {}),
    };
  }

  async unsubscribe(channel: string): Promise<void> {
    await this.#post('unsubscribe', { channel });
  }

  publish(message: TransportPublish): Promise<void> {
    if (!this.#connectionId) return Promise.reject(lostError('not connected'));
    return new Promise((resolve, reject) => {
      this.#batch.push({ message, resolve, reject });
      void this.#flush();
    });
  }

  presenceEnter(channel: string, data: unknown): Promise<void> {
    return this.#presence(channel, 'enter', data);
  }

  presenceUpdate(channel: string, data: unknown): Promise<void> {
    return this.#presence(channel, 'update', data);
  }

  presenceLeave(channel: string): Promise<void> {
    // `data: undefined` is left out of the JSON body.
    return this.#presence(channel, 'leave');
  }

  async #presence(channel: string, action: string, data?: unknown): Promise<void> {
    await this.#post('presence', { channel, action, data });
  }

  async history(channel: string, options: TransportHistoryOptions): Promise<TransportMessage[]> {
    return (await this.#post('history', { channel, ...options })).messages ?? [];
  }

  /** One batch POST at a time: the hub handles its messages in order, so order survives HTTP. */
  async #flush(): Promise<void> {
    if (this.#sending || this.#batch.length === 0) return;
    this.#sending = true;
    // Each message is serialized once, into the request body itself. A batch is capped by size
    // too: the hub refuses request bodies much larger than one message.
    const budget = this.capabilities.maxMessageBytes * 3;
    let bytes = 0;
    let take = 0;
    let body = '';
    for (const { message } of this.#batch) {
      const json = JSON.stringify({
        channel: message.channel,
        id: message.id,
        event: message.event,
        data: message.data,
        // `undefined` is left out of the JSON.
        ephemeral: message.ephemeral ? true : undefined,
      });
      bytes += encoder.encode(json).length + 1;
      if (take > 0 && bytes > budget) break;
      body += take++ > 0 ? `,${json}` : json;
      if (take === 500) break;
    }
    const batch = this.#batch.splice(0, take);
    try {
      const reply = await this.#post('publish', `{"messages":[${body}]}`, false);
      batch.forEach((item, index) => {
        const result = reply.results?.[index];
        if (result?.ok) item.resolve();
        else item.reject(replyError(result?.ok === false ? result.error : undefined));
      });
    } catch (error) {
      for (const item of batch) item.reject(error as RealtimeError);
    } finally {
      this.#sending = false;
      if (this.#batch.length > 0) void this.#flush();
    }
  }

  /** POST `body` (an object, or JSON already serialized) to the hub's `op` endpoint. */
  async #post(op: string, body: object | string, timed = true): Promise<OkReply> {
    const connectionId = this.#connectionId;
    if (!connectionId) throw lostError('not connected');
    const abort = new AbortController();
    this.#inflight.add(abort);
    const timeoutMs = this.#options.requestTimeoutMs ?? 10_000;
    const timer = timed
      ? setTimeout(() => abort.abort(timeoutError(op, timeoutMs)), timeoutMs)
      : undefined;
    try {
      let response: Response;
      try {
        response = await this.#fetch(`${this.#base}/${op}${this.#queryToken()}`, {
          method: 'POST',
          headers: {
            ...this.#headers(),
            'content-type': 'application/json',
            'x-patchbay-connection': connectionId,
          },
          body: typeof body === 'string' ? body : JSON.stringify(body),
          signal: abort.signal,
        });
      } catch (error) {
        if (abort.signal.reason instanceof RealtimeError) throw abort.signal.reason;
        throw lostError(
          `the ${op} request failed (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      const reply = (await response.json().catch(() => undefined)) as Reply | undefined;
      if (reply?.ok) return reply;
      if (response.status === 401 || response.status === 410) {
        // 401: the token this stream was opened with no longer passes (expired). 410: the hub
        // does not know this stream (its process died, or a load balancer sent this request to a
        // process that cannot reach it). Either way the stream is of no use: end the link as a
        // drop, so core reconnects (with a fresh token from auth()) and resumes every channel
        // from its cursor; the request is retried after that.
        const error = lostError(
          process.env.NODE_ENV !== 'production'
            ? response.status === 401
              ? 'the hub no longer accepts this connection’s token'
              : 'the hub does not know this stream (HTTP 410); opening a new one'
            : response.status === 401
              ? 'token refused'
              : 'stream unknown',
        );
        this.#dropStream?.(error);
        throw error;
      }
      if (!reply) throw await httpError(response);
      throw replyError(reply.error);
    } finally {
      if (timer) clearTimeout(timer);
      this.#inflight.delete(abort);
    }
  }

  #failAll(error: RealtimeError): void {
    for (const abort of [...this.#inflight]) abort.abort(error);
    this.#inflight.clear();
    const batch = this.#batch.splice(0);
    for (const item of batch) item.reject(error);
  }

  /** With `tokenInQuery`, requests carry the token in the URL like the stream does. */
  #queryToken(): string {
    return this.#options.tokenInQuery && this.#token !== undefined
      ? `?${new URLSearchParams({ token: this.#token })}`
      : '';
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = { ...this.#options.headers };
    if (this.#token !== undefined && !this.#options.tokenInQuery)
      headers.authorization = `Bearer ${this.#token}`;
    return headers;
  }

  #fetch(input: string, init: RequestInit): Promise<Response> {
    const fetchImpl = this.#options.fetch ?? globalThis.fetch;
    return fetchImpl(input, init);
  }
}

const encoder = new TextEncoder();
