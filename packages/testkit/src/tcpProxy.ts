import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

export interface TcpTarget {
  host?: string;
  port: number;
}

export interface TcpProxyOptions {
  /**
   * Where connections go. With several targets, each new connection goes to the first one that
   * accepts it (active/passive failover, as a load balancer with health checks would do).
   */
  upstream: number | TcpTarget | Array<number | TcpTarget>;
  /**
   * How a new connection picks its upstream. `first` (default): the first that accepts, the
   * others only as failover. `round-robin`: each new connection starts at the next upstream, as
   * an ordinary TCP load balancer without stickiness does (an unreachable one is skipped).
   */
  balance?: 'first' | 'round-robin';
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
}

export interface TcpProxyStats {
  /** Connections accepted since the proxy started. */
  accepted: number;
  /** Connections open now. */
  open: number;
  /** Connections the proxy cut (`cut()`, `refuse()`, no upstream reachable). */
  cut: number;
}

/**
 * A TCP proxy a test controls, for fault injection between a client and its server: cut every
 * link, delay traffic, swallow it (blackhole), refuse new connections, or move to other upstreams.
 */
export interface TcpProxy {
  readonly port: number;
  /** `http://host:port`, to hand to a client in place of the server's URL. */
  readonly url: string;
  /** Reset every open connection now (both sides see the link die); new connections are accepted. */
  cut(): void;
  /** Delay every chunk by `ms` in both directions, keeping order. 0 turns delay off. */
  delay(ms: number): void;
  /** While on, connections stay open but nothing crosses them (a silent network). */
  blackhole(on: boolean): void;
  /** While on, new connections are reset at once (the server looks down). */
  refuse(on: boolean): void;
  /**
   * While on, the proxy stops reading what servers send (a client that stopped reading its
   * socket): their bytes back up into the server's own buffers, as its backpressure. Nothing is
   * lost; it all follows when turned off. Client → server traffic flows meanwhile.
   */
  stall(on: boolean): void;
  /** Replace the upstream list for new connections. */
  setUpstream(upstream: TcpProxyOptions['upstream']): void;
  stats(): TcpProxyStats;
  close(): Promise<void>;
}

interface Link {
  client: Socket;
  server: Socket;
}

const toTargets = (upstream: TcpProxyOptions['upstream']): Required<TcpTarget>[] =>
  (Array.isArray(upstream) ? upstream : [upstream]).map((t) =>
    typeof t === 'number'
      ? { host: '127.0.0.1', port: t }
      : { host: t.host ?? '127.0.0.1', port: t.port },
  );

/** Start a fault-injecting TCP proxy on 127.0.0.1 (port 0 by default). Close it in the test. */
export async function createTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const host = options.host ?? '127.0.0.1';
  let targets = toTargets(options.upstream);
  let delayMs = 0;
  let blackholed = false;
  let refusing = false;
  let stalled = false;
  const links = new Set<Link>();
  const stats = { accepted: 0, cut: 0 };

  const reset = (socket: Socket) => {
    if (socket.destroyed) return;
    if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'opening') {
      socket.resetAndDestroy();
    } else {
      socket.destroy();
    }
  };

  /**
   * Forward `from` → `to`, honouring blackhole and delay. Delayed chunks wait in one queue per
   * direction, drained in order by one timer: a timer per chunk would let a later chunk whose
   * delay rounded a millisecond shorter overtake an earlier one.
   */
  const pipe = (from: Socket, to: Socket) => {
    const queue: Array<{ chunk: Buffer; at: number }> = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    const drain = () => {
      timer = undefined;
      const now = Date.now();
      while (queue.length > 0 && (queue[0] as { at: number }).at <= now) {
        const { chunk } = queue.shift() as { chunk: Buffer };
        if (!to.destroyed && !blackholed) to.write(chunk);
      }
      if (queue.length > 0) schedule((queue[0] as { at: number }).at - now);
    };
    const schedule = (ms: number) => {
      timer = setTimeout(drain, Math.max(0, ms));
      timer.unref?.();
    };
    from.on('data', (chunk: Buffer) => {
      if (blackholed) return;
      if (delayMs <= 0 && queue.length === 0) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      // Never earlier than the chunk before it, even if the delay was just lowered.
      const at = Math.max(queue.at(-1)?.at ?? 0, Date.now() + delayMs);
      queue.push({ chunk, at });
      if (timer === undefined) schedule(at - Date.now());
    });
    from.on('end', () => {
      if (!to.destroyed) to.end();
    });
  };

  let nextStart = 0;
  const connectUpstream = (start: number, client: Socket, tried = 0) => {
    const target = tried < targets.length ? targets[(start + tried) % targets.length] : undefined;
    if (!target || client.destroyed) {
      stats.cut++;
      reset(client);
      return;
    }
    const server = tcpConnect(target.port, target.host);
    server.setNoDelay(true);
    let established = false;
    server.once('connect', () => {
      established = true;
      if (client.destroyed) {
        server.destroy();
        return;
      }
      const link: Link = { client, server };
      links.add(link);
      const drop = () => {
        links.delete(link);
        reset(client);
        reset(server);
      };
      client.once('close', drop);
      server.once('close', drop);
      pipe(client, server);
      pipe(server, client);
      client.resume();
      if (stalled) server.pause();
    });
    server.on('error', () => {
      // Not reachable: try the next upstream. Once linked, 'close' handles the rest.
      if (!established) {
        established = true;
        connectUpstream(start, client, tried + 1);
      }
    });
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    stats.accepted++;
    client.setNoDelay(true);
    client.on('error', () => {});
    if (refusing) {
      stats.cut++;
      reset(client);
      return;
    }
    const start = options.balance === 'round-robin' ? nextStart++ % targets.length : 0;
    connectUpstream(start, client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const cutAll = () => {
    for (const link of [...links]) {
      links.delete(link);
      stats.cut++;
      reset(link.client);
      reset(link.server);
    }
  };

  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    cut: cutAll,
    delay(ms) {
      delayMs = Math.max(0, ms);
    },
    blackhole(on) {
      blackholed = on;
    },
    refuse(on) {
      refusing = on;
    },
    stall(on) {
      stalled = on;
      for (const link of links) {
        if (on) link.server.pause();
        else link.server.resume();
      }
    },
    setUpstream(upstream) {
      targets = toTargets(upstream);
    },
    stats: () => ({ accepted: stats.accepted, open: links.size, cut: stats.cut }),
    close: async () => {
      cutAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
