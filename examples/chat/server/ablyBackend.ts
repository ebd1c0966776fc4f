import type { Backend, BackendOptions } from './backends.js';

export async function startAblyBackend(_options: BackendOptions): Promise<Backend> {
  throw new Error('The Ably backend for the example is not wired yet.');
}
