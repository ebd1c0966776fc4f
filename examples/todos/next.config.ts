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
  ],
  // The example is type-checked and linted by the repository's own `typecheck` and Biome.
  typescript: { ignoreBuildErrors: false },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
