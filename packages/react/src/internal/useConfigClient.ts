import type { RealtimeClient } from '@patchbay/realtime-core';
import type { RealtimeConfig, RealtimeConfigExtras } from '@patchbay/realtime-core/config';
import { useEffect, useInsertionEffect, useRef, useState } from 'react';

interface Owned {
  key: string;
  client: Promise<RealtimeClient>;
  /** Unmounted; closed at the end of the task unless an effect takes it back (StrictMode). */
  releasing: boolean;
}

type Loaded = { key: string; client: RealtimeClient } | { key: string; error: unknown };

/**
 * The client a `<RealtimeProvider config>` owns: created from the config (which loads the adapter,
 * so it is asynchronous), closed when the provider unmounts or the config changes. `undefined`
 * until it is ready; a config or loading failure is thrown during render, for an error boundary.
 *
 * The config is compared by content (it is data: JSON-friendly by design), so an inline object
 * does not make a new client on every render. `extras` is code (auth, loaders) and is read when
 * the client is created, never compared.
 */
export function useConfigClient(
  config: RealtimeConfig | undefined,
  extras: RealtimeConfigExtras | undefined,
): RealtimeClient | undefined {
  const key = config === undefined ? undefined : JSON.stringify(config);
  const latest = useRef({ config, extras });
  useInsertionEffect(() => {
    latest.current = { config, extras };
  });
  const owned = useRef<Owned | undefined>(undefined);
  const [loaded, setLoaded] = useState<Loaded | undefined>(undefined);

  useEffect(() => {
    if (key === undefined) return;
    let own = owned.current;
    if (own?.key === key && own.releasing) {
      // StrictMode's remount (or a re-run in the same task): keep the client being created.
      own.releasing = false;
    } else {
      const { config: current, extras: currentExtras } = latest.current;
      own = {
        key,
        // Imported lazily: the config path (and zod) costs nothing to an app that passes `client`.
        client: import('@patchbay/realtime-core/config').then(({ createRealtimeFromConfig }) =>
          createRealtimeFromConfig(current as RealtimeConfig, currentExtras),
        ),
        releasing: false,
      };
      owned.current = own;
    }
    const mine = own;
    let active = true;
    mine.client.then(
      (client) => {
        if (active) setLoaded({ key, client });
      },
      (error: unknown) => {
        if (active) setLoaded({ key, error });
      },
    );
    return () => {
      active = false;
      mine.releasing = true;
      queueMicrotask(() => {
        if (!mine.releasing) return;
        if (owned.current === mine) owned.current = undefined;
        mine.client.then(
          (client) => client.close(),
          () => {},
        );
      });
    };
  }, [key]);

  if (key === undefined || loaded?.key !== key) return undefined;
  if ('error' in loaded) throw loaded.error;
  return loaded.client;
}
