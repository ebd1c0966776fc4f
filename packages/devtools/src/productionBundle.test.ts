// @vitest-environment node
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** A chat-like app: provider, a room with messages, presence and publish, and maybe the devtools. */
function app(devtools: 'none' | 'default' | 'production'): string {
  const from = devtools === 'production' ? './dist/production.js' : './dist/index.js';
  return `
    import { createRealtime } from '@patchbay/realtime-core';
    import { memoryTransport } from '@patchbay/realtime-core/memory';
    import { RealtimeProvider, useConnectionState, useMessages, usePresence, usePublish } from '@patchbay/realtime-react';
    import { createRoot } from 'react-dom/client';
    ${devtools === 'none' ? '' : `import { RealtimeDevtools } from '${from}';`}
    const client = createRealtime({ transport: memoryTransport() });
    function Room() {
      const { state } = useConnectionState();
      const messages = useMessages('room', { event: 'message' });
      const { members } = usePresence('room', { name: 'a' });
      const { publish } = usePublish('room');
      return <main onClick={() => publish('message', { text: 'hi' })}>{state} {messages.length} {members.length}</main>;
    }
    createRoot(document.body).render(
      <RealtimeProvider client={client}>
        <Room />
        ${devtools === 'none' ? '' : '<RealtimeDevtools />'}
      </RealtimeProvider>,
    );
  `;
}

async function bundle(devtools: 'none' | 'default' | 'production'): Promise<string> {
  const result = await build({
    stdin: { contents: app(devtools), loader: 'tsx', resolveDir: packageDir },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    jsx: 'automatic',
    // React and zod are the same in both; leaving them out makes the comparison about Patchbay's code.
    external: ['react', 'react-dom', 'react/jsx-runtime', 'zod'],
    define: { 'process.env.NODE_ENV': '"production"' },
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

const gzip = (code: string) => gzipSync(code, { level: 9 }).length;

describe('production bundle', () => {
  it('resolves the package to a module that imports nothing under the production condition', async () => {
    // As Vite, webpack and Next.js resolve it in a production build; no NODE_ENV define here, so
    // only the export condition can keep the panel out.
    const result = await build({
      stdin: {
        contents: `import { RealtimeDevtools } from '@patchbay/realtime-devtools'; console.log(RealtimeDevtools({}));`,
        loader: 'tsx',
        resolveDir: packageDir,
      },
      bundle: true,
      format: 'esm',
      conditions: ['production'],
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(result.metafile.inputs)).toEqual(['dist/disabled.js', '<stdin>']);
  });

  it('a chat-like app importing <RealtimeDevtools /> ships none of the panel', async () => {
    const [without, withDevtools, forced] = await Promise.all([
      bundle('none'),
      bundle('default'),
      bundle('production'),
    ]);
    // The panel's code (and core's /inspect) is only in the bundle that asked for it explicitly.
    for (const marker of ['Drop the link', 'pb-devtools', 'dropLink']) {
      expect(forced).toContain(marker);
      expect(withDevtools).not.toContain(marker);
    }
    // What remains is the element `<RealtimeDevtools />` and its `() => null`: a few bytes,
    // invisible once compressed (the chat example's entry is checked the same way).
    const extra = withDevtools.length - without.length;
    const extraGzip = gzip(withDevtools) - gzip(without);
    console.info(
      `chat-like app, production: ${without.length} B (${gzip(without)} B gzip) without the devtools, ` +
        `${withDevtools.length} B (${gzip(withDevtools)} B gzip) with them; ` +
        `${forced.length} B (${gzip(forced)} B gzip) with the /production entry`,
    );
    expect(extra).toBeLessThanOrEqual(48);
    expect(extraGzip).toBeLessThanOrEqual(24);
  });
});
