import { describe, expect, it, vi } from 'vitest';
import { ErrorCodes } from './codes.js';
import { createRealtimeFromConfig, parseRealtimeConfig, type RealtimeConfig } from './config.js';
import { noConnectivitySignals } from './connectivity.js';
import { ConfigError, RealtimeError } from './errors.js';
import { fakeTransport } from './internal/testing/fakeTransport.js';
import { createMemoryHub } from './memory/memoryHub.js';

function configError(config: unknown): ConfigError {
  try {
    parseRealtimeConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCodes.InvalidConfig);
    return error as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(config)} to be rejected`);
}

const stubTransport = (provider: string) =>
  fakeTransport({ provider, capabilities: { maxMessageBytes: 10_000 } });

describe('parseRealtimeConfig', () => {
  it('accepts a complete config and returns it parsed', () => {
    expect(
      parseRealtimeConfig({ provider: 'socketio', url: 'http://127.0.0.1:8787', clientId: 'ada' }),
    ).toEqual({
      provider: 'socketio',
      url: 'http://127.0.0.1:8787',
      clientId: 'ada',
    });
  });

  it('names a missing "url" for socketio and sse', () => {
    expect(configError({ provider: 'socketio' }).message).toContain('"url" is required');
    expect(configError({ provider: 'sse' }).message).toContain('"url" is required');
    expect(configError({ provider: 'sse' }).message).toContain('provider "sse"');
  });

  it('says a present but wrongly typed field is wrong, not missing', () => {
    const message = configError({ provider: 'socketio', url: 8787 }).message;
    expect(message).toContain('"url"');
    expect(message).not.toContain('is required');
    const echo = configError({ provider: 'memory', echo: 'yes' }).message;
    expect(echo).toContain('"echo"');
    expect(echo).not.toContain('is required');
  });

  it('explains an invalid url', () => {
    expect(configError({ provider: 'socketio', url: 'not a url' }).message).toContain(
      '"url" must be an absolute URL such as http://127.0.0.1:8787',
    );
  });

  it('names a missing "key" for pusher', () => {
    expect(configError({ provider: 'pusher' }).message).toContain('"key" is required');
    expect(configError({ provider: 'pusher', key: '' }).message).toContain(
      '"key" is the Pusher app key',
    );
  });

  it('names "authUrl" when ably has neither key, authUrl nor auth()', async () => {
    const failure = await createRealtimeFromConfig({ provider: 'ably' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as ConfigError).message).toContain('"authUrl"');
    expect((failure as ConfigError).message).toContain('"key"');
    expect(() => parseRealtimeConfig({ provider: 'ably', key: 'app.key:secret' })).not.toThrow();
    expect(() =>
      parseRealtimeConfig({ provider: 'ably', authUrl: '/api/ably-token' }),
    ).not.toThrow();
  });

  it('names a missing "url" or "apiKey" for supabase, with where to find them', () => {
    expect(configError({ provider: 'supabase', apiKey: 'anon' }).message).toContain(
      '"url" is required',
    );
    expect(
      configError({ provider: 'supabase', url: 'ref.supabase.co', apiKey: 'a' }).message,
    ).toContain('https://<ref>.supabase.co');
    expect(
      configError({ provider: 'supabase', url: 'https://ref.supabase.co', apiKey: '' }).message,
    ).toContain('anon (publishable) key');
    expect(
      configError({
        provider: 'supabase',
        url: 'https://ref.supabase.co',
        apiKey: 'anon',
        params: { log_level: 1 },
      }).message,
    ).toContain('"params.log_level"');
    expect(() =>
      parseRealtimeConfig({
        provider: 'supabase',
        url: 'https://ref.supabase.co',
        apiKey: 'anon',
        private: true,
        params: { log_level: 'info' },
        clientOptions: { timeout: 5_000 },
        publishEndpoint: '/api/publish',
      }),
    ).not.toThrow();
  });

  it('takes a supabase "publishEndpoint" as an absolute URL or a path, and names it otherwise', async () => {
    const base = { provider: 'supabase', url: 'https://ref.supabase.co', apiKey: 'anon' } as const;
    for (const publishEndpoint of ['https://app.example/api/publish', '/api/publish']) {
      expect(() => parseRealtimeConfig({ ...base, publishEndpoint })).not.toThrow();
    }
    for (const publishEndpoint of ['api/publish', '//evil.example/p', '']) {
      const message = configError({ ...base, publishEndpoint }).message;
      expect(message).toContain('"publishEndpoint"');
      expect(message).toContain('createSupabasePublishHandler');
    }
    const supabaseTransport = vi.fn(() => ({}));
    await createRealtimeFromConfig(
      { ...base, publishEndpoint: '/api/publish' },
      { loaders: { supabase: async () => ({ supabaseTransport }) } },
    ).catch(() => {});
    expect(supabaseTransport).toHaveBeenCalledWith({
      url: 'https://ref.supabase.co',
      apiKey: 'anon',
      publishEndpoint: '/api/publish',
    });
  });

  it('loads @patchbay/realtime-supabase for provider "supabase" with the config as its options', async () => {
    const supabaseTransport = vi.fn(() => ({}));
    await createRealtimeFromConfig(
      { provider: 'supabase', url: 'https://ref.supabase.co', apiKey: 'anon', private: true },
      { loaders: { supabase: async () => ({ supabaseTransport }) } },
    ).catch(() => {});
    expect(supabaseTransport).toHaveBeenCalledWith({
      url: 'https://ref.supabase.co',
      apiKey: 'anon',
      private: true,
    });
  });

  it('names an unknown provider and lists the known ones', () => {
    const message = configError({ provider: 'mqtt', url: 'http://x' }).message;
    expect(message).toContain('"mqtt"');
    expect(message).toContain('"provider"');
    expect(message).toContain('"socketio", "sse", "pusher", "ably", "supabase" or "memory"');
    expect(configError({}).message).toContain('"provider"');
    expect(configError(undefined).message).toContain('Invalid realtime config');
  });

  it('names an unknown extra field', () => {
    const message = configError({
      provider: 'socketio',
      url: 'http://localhost:8787',
      urll: 'x',
    }).message;
    expect(message).toContain('unknown field(s) "urll" for provider "socketio"');
  });

  it('names an unknown nested field with its path', () => {
    const message = configError({ provider: 'memory', reconnect: { baseDelay: 100 } }).message;
    expect(message).toContain('"reconnect.baseDelay"');
  });

  it('names a nested field', () => {
    const message = configError({ provider: 'memory', reconnect: { maxAttempts: 0 } }).message;
    expect(message).toContain('"reconnect.maxAttempts"');
  });
});

describe('createRealtimeFromConfig', () => {
  it('builds a working client for provider "memory"', async () => {
    const hub = createMemoryHub();
    const extras = { hub, connectivity: noConnectivitySignals };
    const alice = await createRealtimeFromConfig({ provider: 'memory', clientId: 'alice' }, extras);
    const bob = await createRealtimeFromConfig({ provider: 'memory', clientId: 'bob' }, extras);
    expect(alice.provider).toBe('memory');
    const received = vi.fn();
    const room = bob.channel('room');
    room.subscribe('hi', (message) => received(message.clientId, message.data));
    await Promise.all([alice.connect(), bob.connect()]);
    await room.ready();
    await alice.channel('room').publish('hi', { n: 1 });
    await vi.waitFor(() => expect(received).toHaveBeenCalledWith('alice', { n: 1 }));
    expect(bob.connection.getSnapshot().clientId).toBe('bob');
  });

  it('rejects invalid config with a ConfigError before loading anything', async () => {
    const loader = vi.fn(async () => ({}));
    await expect(
      createRealtimeFromConfig({ provider: 'pusher' } as RealtimeConfig, {
        loaders: { pusher: loader },
      }),
    ).rejects.toBeInstanceOf(ConfigError);
    expect(loader).not.toHaveBeenCalled();
  });

  it('rejects with adapter_missing naming the package when it is not installed', async () => {
    const result = createRealtimeFromConfig({ provider: 'ably', key: 'app.key:secret' });
    await expect(result).rejects.toBeInstanceOf(RealtimeError);
    await expect(result).rejects.toMatchObject({ code: ErrorCodes.AdapterMissing });
    await expect(result).rejects.toThrow(/pnpm add @patchbay\/realtime-ably/);
  });

  it('rejects with adapter_missing when the given loader fails', async () => {
    const result = createRealtimeFromConfig(
      { provider: 'pusher', key: 'k', authEndpoint: 'http://127.0.0.1:3000/pusher/auth' },
      { loaders: { pusher: () => Promise.reject(new Error('Cannot find module')) } },
    );
    await expect(result).rejects.toMatchObject({
      code: ErrorCodes.AdapterMissing,
      message: expect.stringContaining('@patchbay/realtime-pusher'),
    });
  });

  it('rejects with adapter_missing when the module lacks the transport factory', async () => {
    const result = createRealtimeFromConfig(
      { provider: 'sse', url: 'http://localhost:8787' },
      { loaders: { sse: async () => ({}) } },
    );
    await expect(result).rejects.toMatchObject({
      code: ErrorCodes.AdapterMissing,
      message: expect.stringContaining('does not export sseTransport()'),
    });
  });

  it('loads only the chosen adapter through extras.loaders and passes it the adapter options', async () => {
    const socketioTransport = vi.fn((_options: Record<string, unknown>) =>
      stubTransport('socketio'),
    );
    const socketio = vi.fn(async () => ({ socketioTransport }));
    const pusher = vi.fn(async () => ({}));
    const client = await createRealtimeFromConfig(
      {
        provider: 'socketio',
        url: 'http://localhost:8787',
        path: '/rt',
        clientId: 'ada',
        reconnect: { baseDelayMs: 50 },
      },
      { loaders: { socketio, pusher }, connectivity: noConnectivitySignals },
    );
    expect(socketio).toHaveBeenCalledTimes(1);
    expect(pusher).not.toHaveBeenCalled();
    expect(socketioTransport).toHaveBeenCalledWith({ url: 'http://localhost:8787', path: '/rt' });
    expect(client.provider).toBe('socketio');
    await client.connect();
    expect(client.connection.getSnapshot().state).toBe('connected');
  });
});
