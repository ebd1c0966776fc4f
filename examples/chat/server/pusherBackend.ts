import type { Backend, BackendOptions } from './backends.js';

export async function startPusherBackend(_options: BackendOptions): Promise<Backend> {
  throw new Error('The Pusher backend for the example is not wired yet.');
}
