import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineChannel } from '../defineChannel.js';
import { MemoryHub } from '../memory/memoryHub.js';
import type { ServerPublisher, ServerPublisherExtras } from './types.js';

declare const publisher: ServerPublisher;

describe('ServerPublisher types', () => {
  it('types data from a channel definition’s event schema', () => {
    const orders = defineChannel('orders', {
      created: z.object({ orderId: z.number() }),
      cancelled: z.object({ reason: z.string().optional() }),
    });
    expectTypeOf(publisher.publish(orders, 'created', { orderId: 1 })).resolves.toEqualTypeOf<{
      id: string;
    }>();
    // @ts-expect-error orderId must be a number
    publisher.publish(orders, 'created', { orderId: '1' });
    // @ts-expect-error not an event of the channel
    publisher.publish(orders, 'deleted', {});
    publisher.publish(orders, 'cancelled', {}, { id: 'x', clientId: 'ada' });
  });

  it('takes any data on a channel named by a string', () => {
    publisher.publish('orders', 'anything', { free: ['form'] });
    publisher.publish('orders', 'no-data');
  });

  it('accepts a MemoryHub, credentials or instances as extras', () => {
    expectTypeOf({ hub: new MemoryHub() }).toExtend<ServerPublisherExtras>();
    expectTypeOf({ pusher: { appId: '1', secret: 's' } }).toExtend<ServerPublisherExtras>();
    expectTypeOf({ ably: { key: 'a.b:c' } }).toExtend<ServerPublisherExtras>();
    expectTypeOf({ hubSecret: 's' }).toExtend<ServerPublisherExtras>();
  });
});
