import type { WebSocketLike, WebSocketLikeConstructor } from '@supabase/realtime-js';

export interface SocketEvents {
  open(socket: WebSocketLike): void;
  close(socket: WebSocketLike, reason: string): void;
}

/**
 * The WebSocket constructor realtime-js is given (its public `transport` option), wrapped so the
 * transport sees every socket realtime-js opens: each is one connection attempt, its `open` is
 * the link coming up and its `close` the reason for the next retry. realtime-js keeps its own
 * handlers; these are extra listeners.
 */
export function watchSocket(
  Base: WebSocketLikeConstructor,
  events: () => SocketEvents | undefined,
): WebSocketLikeConstructor {
  function Watched(address: string | URL, protocols?: string | string[]): WebSocketLike {
    const socket = new Base(address, protocols);
    socket.addEventListener('open', () => events()?.open(socket));
    socket.addEventListener('close', (event) => {
      const { code, reason } = event as CloseEvent;
      events()?.close(socket, `${code ?? 'closed'}${reason ? ` ${reason}` : ''}`);
    });
    return socket;
  }
  return Watched as unknown as WebSocketLikeConstructor;
}
