import type { NextConfig } from 'next';

const config: NextConfig = {
  // Server-only packages with native, WASM or long-lived parts load from node_modules at run time
  // instead of being bundled: the in-app hub, the database drivers and the vendor server SDKs.
  serverExternalPackages: [
    '@patchbay/realtime-server',
    '@electric-sql/pglite',
    'pg',
    'pusher',
    'ably',
    'jose',
  ],
  // Type-checked by the package's own `typecheck` task (tsc over the app, scripts and tests) and
  // linted by Biome; `next build` does not repeat it.
  typescript: { ignoreBuildErrors: true },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
