import type { PublishOptions } from '@patchbay/realtime-core';
import { useCallback, useState } from 'react';
import type { ChannelRef, PublishEventsOf } from './types.js';
import { useChannelHandle } from './useChannel.js';

export interface UsePublishResult<TEvents> {
  /** Publish; never rejects — a failure lands in `error`. Stable across renders. */
  publish<TEvent extends keyof TEvents & string>(
    event: TEvent,
    data: TEvents[TEvent],
    options?: PublishOptions,
  ): void;
  /** Publish and await the provider's ack; rejects with the typed error. Stable across renders. */
  publishAsync<TEvent extends keyof TEvents & string>(
    event: TEvent,
    data: TEvents[TEvent],
    options?: PublishOptions,
  ): Promise<void>;
  /** Publishes not yet acknowledged (queued offline, or awaiting the ack). */
  pending: number;
  /** The last publish's failure, cleared by the next success. */
  error: Error | undefined;
}

/**
 * Publish on a channel from a component, with pending and error state. Publishing does not
 * attach the channel, so a send-only component costs no subscription.
 */
export function usePublish<TRef extends ChannelRef>(
  ref: TRef,
): UsePublishResult<PublishEventsOf<TRef>> {
  const channel = useChannelHandle(ref);
  const [state, setState] = useState<{ pending: number; error: Error | undefined }>({
    pending: 0,
    error: undefined,
  });
  const publishAsync = useCallback(
    async (event: string, data: unknown, options?: PublishOptions) => {
      setState((s) => ({ ...s, pending: s.pending + 1 }));
      try {
        await (channel.publish as (e: string, d: unknown, o?: PublishOptions) => Promise<void>)(
          event,
          data,
          options,
        );
        setState((s) => ({ pending: s.pending - 1, error: undefined }));
      } catch (error) {
        setState((s) => ({ pending: s.pending - 1, error: error as Error }));
        throw error;
      }
    },
    [channel],
  );
  const publish = useCallback(
    (event: string, data: unknown, options?: PublishOptions) => {
      publishAsync(event, data, options).catch(() => {});
    },
    [publishAsync],
  );
  return { publish, publishAsync, pending: state.pending, error: state.error } as UsePublishResult<
    PublishEventsOf<TRef>
  >;
}
