import { createRealtime, noConnectivitySignals } from '@patchbay/realtime-core';
import PusherJs from 'pusher-js';
import { describe, expect, it } from 'vitest';
import { type PusherConstructor, pusherTransport } from './index.js';

const base = { key: 'app-key', authEndpoint: 'http://127.0.0.1:1/pusher/auth' };

describe('pusherTransport(options)', () => {
  it('never constructs pusher-js in the factory: nothing connects until connect()', () => {
    let constructed = 0;
    // The real pusher-js, counted: injected through the option, never sniffed from a global.
    const Counting = class extends (PusherJs as unknown as PusherConstructor) {
      constructor(...args: ConstructorParameters<PusherConstructor>) {
        super(...args);
        constructed++;
      }
    } as PusherConstructor;
    const client = createRealtime({
      transport: pusherTransport({ ...base, Pusher: Counting }),
      connectivity: noConnectivitySignals,
    });
    client.channel('room').subscribe(() => {});
    expect(constructed).toBe(0);
    expect(client.connection.getSnapshot().state).toBe('idle');
  });

  it('refuses configuration it cannot work with, saying which field and why', () => {
    expect(() => pusherTransport({ ...base, key: '' })).toThrow(
      expect.objectContaining({
        code: 'invalid_config',
        message: expect.stringContaining('"key"'),
      }),
    );
    expect(() => pusherTransport({ ...base, authEndpoint: '/pusher/auth' })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('absolute') }),
    );
    expect(() => pusherTransport({ ...base, publishEndpoint: 'pusher/publish' })).toThrow(
      expect.objectContaining({ message: expect.stringContaining('"publishEndpoint"') }),
    );
  });

  it('declares acks and echo control only with a publish endpoint; never history or recovery', () => {
    const withEndpoint = pusherTransport({ ...base, publishEndpoint: 'http://127.0.0.1:1/p' });
    const withoutEndpoint = pusherTransport(base);
    expect(withEndpoint.capabilities).toMatchObject({ publishAck: true, echoControl: true });
    expect(withoutEndpoint.capabilities).toMatchObject({ publishAck: false, echoControl: false });
    for (const transport of [withEndpoint, withoutEndpoint]) {
      expect(transport.provider).toBe('pusher');
      expect(transport.capabilities).toMatchObject({
        presence: true,
        presenceUpdate: false,
        history: false,
        recovery: false,
      });
    }
  });
});
