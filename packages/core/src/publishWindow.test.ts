import { describe, expect, it } from 'vitest';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime } from './createRealtime.js';
import { createMemoryHub } from './memory/memoryHub.js';
import { memoryTransport } from './memory/memoryTransport.js';
import type { TransportPublish } from './transport/types.js';

/** A memory transport that records how many publishes it holds unanswered at once. */
function countingTransport(maxPublishesInFlight?: number) {
  const transport = memoryTransport({
    hub: createMemoryHub(),
    ...(maxPublishesInFlight !== undefined ? { capabilities: { maxPublishesInFlight } } : {}),
  });
  const publish = transport.publish.bind(transport);
  let open = 0;
  let most = 0;
  transport.publish = async (message: TransportPublish) => {
    open++;
    most = Math.max(most, open);
    try {
      await publish(message);
    } finally {
      open--;
    }
  };
  return { transport, most: () => most };
}

describe('the publish window a transport declares', () => {
  async function burst(maxPublishesInFlight?: number) {
    const { transport, most } = countingTransport(maxPublishesInFlight);
    const client = createRealtime({ transport, connectivity: noConnectivitySignals });
    await client.connect();
    const channel = client.channel('burst');
    await Promise.all(Array.from({ length: 50 }, (_, n) => channel.publish('n', n)));
    client.close();
    return most();
  }

  it('one at a time when the transport declares 1', async () => {
    expect(await burst(1)).toBe(1);
  });

  it('a window of many by default', async () => {
    expect(await burst()).toBeGreaterThan(1);
  });
});
