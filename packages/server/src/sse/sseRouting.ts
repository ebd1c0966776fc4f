import { randomUUID } from 'node:crypto';
import type { BrokerEvent } from '../broker.js';
import type { Hub } from '../hub.js';

/**
 * SSE without sticky routing. An SSE connection is a `GET /stream` held open by one process plus
 * `POST`s that a load balancer may send to any process. A process that does not hold the stream a
 * `POST` names asks every process through the broker (one broadcast on a reserved channel no
 * client can name); the one holding it answers "accepted" at once, runs the request on the
 * session, and sends the response back. No answer within `findTimeoutMs`: no process holds that
 * stream, and the caller answers 410 as before (the client reopens its stream).
 *
 * Only brokers shared between processes (`broker.shared`, Redis) route; with the memory broker
 * every stream is in this process.
 */
const ROUTE_CHANNEL = 'patchbay:sse-route';

/** How long to wait for the process that holds a stream to say so. */
const FIND_TIMEOUT_MS = 3_000;
/** How long a found process may take to answer (a subscribe's replay can take a while). */
const ANSWER_TIMEOUT_MS = 60_000;

interface RoutedRequest {
  kind: 'request';
  requestId: string;
  from: string;
  connectionId: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

interface RoutedAnswer {
  kind: 'accepted' | 'response';
  requestId: string;
  to: string;
  status?: number;
  body?: string;
}

type LocalHandler = (request: Request) => Promise<Response>;

interface Pending {
  accepted: (found: true) => void;
  answer: (response: Response) => void;
}

export class SseRouter {
  readonly #hub: Hub;
  readonly #local: LocalHandler;
  readonly #processId = randomUUID();
  readonly #pending = new Map<string, Pending>();
  readonly #off: () => void;

  constructor(hub: Hub, local: LocalHandler) {
    this.#hub = hub;
    this.#local = local;
    this.#off = hub.broker.subscribe(ROUTE_CHANNEL, (event) => this.#onEvent(event));
  }

  /**
   * Run a request on the process that holds its stream. `undefined` when no process does.
   * `body` is the request's body, already read.
   */
  async forward(
    request: Request,
    connectionId: string,
    body: string,
  ): Promise<Response | undefined> {
    const requestId = randomUUID();
    const headers: Record<string, string> = {};
    for (const name of ['authorization', 'content-type', 'x-patchbay-connection']) {
      const value = request.headers.get(name);
      if (value !== null) headers[name] = value;
    }
    let accepted!: (found: true) => void;
    let answer!: (response: Response) => void;
    const found = new Promise<true>((resolve) => {
      accepted = resolve;
    });
    const answered = new Promise<Response>((resolve) => {
      answer = resolve;
    });
    this.#pending.set(requestId, { accepted, answer });
    try {
      const message: RoutedRequest = {
        kind: 'request',
        requestId,
        from: this.#processId,
        connectionId,
        url: request.url,
        headers,
        body,
      };
      await this.#send(message);
      if (!(await within(found, FIND_TIMEOUT_MS))) return undefined;
      const response = await within(answered, ANSWER_TIMEOUT_MS);
      return (
        response ||
        json(503, {
          ok: false,
          error: {
            code: 'transport_error',
            message: 'The process holding this stream did not answer; retry the request.',
            retryable: true,
          },
        })
      );
    } finally {
      this.#pending.delete(requestId);
    }
  }

  close(): void {
    this.#off();
  }

  #onEvent(event: BrokerEvent): void {
    if (event.kind !== 'message') return;
    const data = event.message.data as RoutedRequest | RoutedAnswer | null;
    if (typeof data !== 'object' || data === null) return;
    if (data.kind === 'request') {
      if (data.from !== this.#processId && this.#hub.session(data.connectionId)) {
        void this.#serve(data);
      }
      return;
    }
    if (data.to !== this.#processId) return;
    const pending = this.#pending.get(data.requestId);
    if (!pending) return;
    if (data.kind === 'accepted') pending.accepted(true);
    else {
      pending.accepted(true);
      pending.answer(json(data.status ?? 500, undefined, data.body ?? ''));
    }
  }

  async #serve(request: RoutedRequest): Promise<void> {
    await this.#send({ kind: 'accepted', requestId: request.requestId, to: request.from });
    let status = 500;
    let body = '';
    try {
      const response = await this.#local(
        new Request(request.url, { method: 'POST', headers: request.headers, body: request.body }),
      );
      status = response.status;
      body = await response.text();
    } catch (error) {
      body = JSON.stringify({
        ok: false,
        error: { code: 'transport_error', message: (error as Error).message, retryable: true },
      });
    }
    await this.#send({
      kind: 'response',
      requestId: request.requestId,
      to: request.from,
      status,
      body,
    });
  }

  async #send(data: RoutedRequest | RoutedAnswer): Promise<void> {
    await this.#hub.broker
      .broadcast({ channel: ROUTE_CHANNEL, id: randomUUID(), event: 'route', data })
      .catch(() => {});
  }
}

const routers = new WeakMap<Hub, SseRouter>();

/** One router per hub, shared by every SSE handler mounted on it; none on a single-process broker. */
export function sseRouterFor(hub: Hub, local: LocalHandler): SseRouter | undefined {
  if (hub.broker.shared !== true) return undefined;
  let router = routers.get(hub);
  if (!router) {
    router = new SseRouter(hub, local);
    routers.set(hub, router);
  }
  return router;
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    timer.unref?.();
    void promise.then((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

function json(status: number, value: unknown, text?: string): Response {
  return new Response(text ?? JSON.stringify(value), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}
