import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ErrorCodes } from './codes.js';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime } from './createRealtime.js';
import { defineChannel, isChannelDefinition } from './defineChannel.js';
import {
  ConfigError,
  InvalidChannelNameError,
  type RealtimeError,
  ValidationError,
} from './errors.js';
import { createMemoryHub, type MemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';

const todos = defineChannel('todos', {
  saved: z.object({ items: z.array(z.object({ title: z.string().min(1) })) }),
  cleared: z.object({ at: z.number() }),
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setTimeout(resolve, 0));
}

async function connectedClient(hub: MemoryHub, clientId: string) {
  const client = createRealtime({
    transport: memoryTransport({ hub }),
    clientId,
    connectivity: noConnectivitySignals,
  });
  const errors: RealtimeError[] = [];
  client.on('error', (error) => errors.push(error));
  await client.connect();
  return { client, errors };
}

describe('defineChannel', () => {
  it('returns a frozen definition carrying the name and schemas', () => {
    expect(todos.name).toBe('todos');
    expect(isChannelDefinition(todos)).toBe(true);
    expect(isChannelDefinition({ name: 'todos' })).toBe(false);
    expect(Object.isFrozen(todos)).toBe(true);
  });

  it('rejects a non-portable name when the channel is defined', () => {
    expect(() => defineChannel('to dos', {})).toThrow(InvalidChannelNameError);
  });

  it('refuses two different definitions with the same channel name on one client', () => {
    const client = createRealtime({
      transport: memoryTransport(),
      connectivity: noConnectivitySignals,
    });
    client.channel(todos);
    const other = defineChannel('todos', { saved: z.string() });
    expect(() => client.channel(other)).toThrow(ConfigError);
    expect(() => client.channel(other)).toThrow(/Define each channel once/);
    expect(client.channel(todos)).toBe(client.channel('todos'));
  });

  it('accepts another definition object with the very same schemas (one made per render)', () => {
    const client = createRealtime({
      transport: memoryTransport(),
      connectivity: noConnectivitySignals,
    });
    const text = z.object({ text: z.string() });
    const who = z.object({ name: z.string() });
    const room = () => defineChannel('room-1', { message: text }, { presence: who });
    const first = client.channel(room());
    expect(client.channel(room())).toBe(first);
    // A different presence schema, or another event, is a different definition.
    expect(() =>
      client.channel(defineChannel('room-1', { message: text }, { presence: text })),
    ).toThrow(ConfigError);
    expect(() =>
      client.channel(defineChannel('room-1', { message: text, other: text }, { presence: who })),
    ).toThrow(ConfigError);
  });
});

describe('schema validation on publish', () => {
  it('rejects bad outgoing data with a ValidationError naming the path, and sends nothing', async () => {
    const hub = createMemoryHub();
    const { client: writer } = await connectedClient(hub, 'writer');
    const { client: reader } = await connectedClient(hub, 'reader');
    const received = vi.fn();
    const readerChannel = reader.channel(todos);
    readerChannel.subscribe(received);
    await readerChannel.ready();

    const result = writer.channel(todos).publish('saved', { items: [{ title: '' }] });
    await expect(result).rejects.toBeInstanceOf(ValidationError);
    const error = (await result.catch((e: unknown) => e)) as ValidationError;
    expect(error.code).toBe(ErrorCodes.ValidationFailed);
    expect(error.channel).toBe('todos');
    expect(error.event).toBe('saved');
    expect(error.issues.map((issue) => issue.path)).toEqual(['items[0].title']);
    expect(error.message).toContain('items[0].title');
    expect(error.message).toContain('Cannot publish "saved" on "todos"');
    await settle();
    expect(received).not.toHaveBeenCalled();
    expect(writer.queue.getSnapshot().size).toBe(0);
  });

  it('lists every failing path', async () => {
    const { client } = await connectedClient(createMemoryHub(), 'writer');
    const bad = { items: [{ title: 'ok' }, { title: 3 }, {}] } as unknown as {
      items: { title: string }[];
    };
    const error = (await client
      .channel(todos)
      .publish('saved', bad)
      .catch((e: unknown) => e)) as ValidationError;
    expect(error.issues.map((issue) => issue.path)).toEqual(['items[1].title', 'items[2].title']);
  });

  it('rejects an event the definition does not declare', async () => {
    const { client } = await connectedClient(createMemoryHub(), 'writer');
    const channel = client.channel('todos');
    client.channel(todos);
    await expect(channel.publish('deleted', {})).rejects.toMatchObject({
      code: ErrorCodes.ValidationFailed,
      message: expect.stringContaining('"deleted" is not an event of this channel'),
    });
  });

  it('delivers valid data to other clients', async () => {
    const hub = createMemoryHub();
    const { client: writer } = await connectedClient(hub, 'writer');
    const { client: reader } = await connectedClient(hub, 'reader');
    const received = vi.fn();
    const channel = reader.channel(todos);
    channel.subscribe('saved', (message) => received(message.data));
    await channel.ready();
    await writer.channel(todos).publish('saved', { items: [{ title: 'milk' }] });
    await settle();
    expect(received).toHaveBeenCalledWith({ items: [{ title: 'milk' }] });
  });
});

describe('schema validation on receive', () => {
  it('drops an invalid incoming payload, reports it on client.on("error") and keeps working', async () => {
    const hub = createMemoryHub();
    const { client, errors } = await connectedClient(hub, 'reader');
    const onSaved = vi.fn();
    const onAny = vi.fn();
    const channel = client.channel(todos);
    channel.subscribe('saved', onSaved);
    channel.subscribe(onAny);
    await channel.ready();

    hub.publish('todos', 'saved', { items: [{ title: 42 }] });
    await settle();
    expect(onSaved).not.toHaveBeenCalled();
    expect(onAny).not.toHaveBeenCalled();
    expect(errors).toHaveLength(1);
    const error = errors[0] as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe(ErrorCodes.ValidationFailed);
    expect(error.issues[0]?.path).toBe('items[0].title');
    expect(error.message).toContain('Dropped incoming "saved" on "todos"');

    hub.publish('todos', 'cleared', { at: 5 });
    hub.publish('todos', 'saved', { items: [{ title: 'bread' }] });
    await settle();
    expect(client.connection.getSnapshot().state).toBe('connected');
    expect(onSaved).toHaveBeenCalledTimes(1);
    expect(onSaved.mock.calls[0]?.[0]).toMatchObject({
      event: 'saved',
      data: { items: [{ title: 'bread' }] },
    });
    expect(onAny.mock.calls.map(([message]) => (message as { event: string }).event)).toEqual([
      'cleared',
      'saved',
    ]);
    expect(errors).toHaveLength(1);
  });

  it('drops an incoming event the definition does not declare', async () => {
    const hub = createMemoryHub();
    const { client, errors } = await connectedClient(hub, 'reader');
    const onAny = vi.fn();
    const channel = client.channel(todos);
    channel.subscribe(onAny);
    await channel.ready();
    hub.publish('todos', 'unknown', { x: 1 });
    await settle();
    expect(onAny).not.toHaveBeenCalled();
    expect(errors[0]).toBeInstanceOf(ValidationError);
  });

  it('hands handlers the schema output (transforms applied)', async () => {
    const hub = createMemoryHub();
    const trimmed = defineChannel('names', { set: z.object({ name: z.string().trim() }) });
    const { client } = await connectedClient(hub, 'reader');
    const onSet = vi.fn();
    const channel = client.channel(trimmed);
    channel.subscribe('set', (message) => onSet(message.data));
    await channel.ready();
    hub.publish('names', 'set', { name: '  ada  ' });
    await settle();
    expect(onSet).toHaveBeenCalledWith({ name: 'ada' });
  });
});
