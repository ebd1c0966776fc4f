import type { RealtimeClient } from '@patchbay/realtime-core';
import { waitFor } from '@patchbay/realtime-testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPusherHarness } from './testHarness.js';

// Without a publish endpoint, messages travel as Pusher client events: no ack, no server-side
// echo, identity claimed by the sender. These tests pin down what that mode declares and does.
describe('pusher transport without a publish endpoint (client events)', () => {
  const harness = createPusherHarness({ publish: 'client-events' });
  const clients: RealtimeClient[] = [];
  const connected = async (clientId: string, echo = true) => {
    const client = await harness.createClient({ clientId, echo });
    clients.push(client);
    await client.connect();
    return client;
  };
  const collect = (client: RealtimeClient, channel: string) => {
    const seen: Array<{ id: string; data: unknown; clientId?: string }> = [];
    client.channel(channel).subscribe('chat', (message) => {
      seen.push({
        id: message.id,
        data: message.data,
        ...(message.clientId !== undefined ? { clientId: message.clientId } : {}),
      });
    });
    return seen;
  };

  beforeAll(() => harness.setup?.());
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  afterAll(() => harness.teardown?.());

  it('declares no acks and no provider echo control', async () => {
    const client = await connected('ce-decl');
    expect(client.capabilities).toMatchObject({
      publishAck: false,
      echoControl: false,
      history: false,
      recovery: false,
      presenceUpdate: false,
    });
  });

  it('others receive the envelope, and the publisher gets its own message back (echo on)', async () => {
    const alice = await connected('ce-alice');
    const bob = await connected('ce-bob');
    const toBob = collect(bob, 'ce-room');
    const toAlice = collect(alice, 'ce-room');
    await Promise.all([bob.channel('ce-room').ready(), alice.channel('ce-room').ready()]);
    await alice.channel('ce-room').publish('chat', { text: 'hi' }, { id: 'ce-1' });
    await waitFor('bob to receive', () => toBob.length === 1);
    await waitFor('alice to get her echo', () => toAlice.length === 1);
    expect(toBob).toEqual([{ id: 'ce-1', data: { text: 'hi' }, clientId: 'ce-alice' }]);
    expect(toAlice[0]?.id).toBe('ce-1');
  });

  it('echo: false drops the publisher’s own copy in core', async () => {
    const quiet = await connected('ce-quiet', false);
    const bob = await connected('ce-bob2');
    const own = collect(quiet, 'ce-echo');
    const toBob = collect(bob, 'ce-echo');
    await Promise.all([bob.channel('ce-echo').ready(), quiet.channel('ce-echo').ready()]);
    await quiet.channel('ce-echo').publish('chat', 1);
    await waitFor('bob to receive', () => toBob.length === 1);
    expect(own).toEqual([]);
  });

  it('a publish to a channel it never subscribed is sent once Pusher accepts the subscription', async () => {
    const bob = await connected('ce-bob3');
    const toBob = collect(bob, 'ce-lazy');
    await bob.channel('ce-lazy').ready();
    const alice = await connected('ce-alice3');
    await Promise.all([1, 2, 3].map((n) => alice.channel('ce-lazy').publish('chat', n)));
    await waitFor('all three', () => toBob.length === 3);
    expect(toBob.map((m) => m.data)).toEqual([1, 2, 3]);
  });
});
