import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERRORS_DOC_URL } from './errors.js';

/**
 * Production builds carry an error's code, values and a link to docs/errors.md; the text that
 * says how to fix it is only in development builds, behind `process.env.NODE_ENV !== 'production'`
 * (see `productionMessage`). This bundles each browser-facing entry the way an app's bundler
 * does, from the sources (so the check needs no build and never reads a stale one), and fails
 * when a message reaches production builds without its production branch.
 */

const packages = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A string or template literal with this much text in a production bundle is a message. */
const MESSAGE_LENGTH = 60;

/** Long literals that are not messages. */
const ALLOWED = new Set([ERRORS_DOC_URL]);

/**
 * `@patchbay/realtime-<name>[/sub]` → that package's sources, so every package is checked as
 * written. An adapter's or binding's bundle leaves core out: core's entries check core's text.
 */
const fromSources = (entry: string): Plugin => ({
  name: 'patchbay-sources',
  setup(context) {
    context.onResolve({ filter: /^@patchbay\/realtime-[a-z]+(\/[a-z]+)?$/ }, (args) => {
      const [, name, sub] = /^@patchbay\/realtime-([a-z]+)(?:\/([a-z]+))?$/.exec(args.path) ?? [];
      if (name === 'core' && !entry.startsWith('@patchbay/realtime-core'))
        return { path: args.path, external: true };
      const dir = join(packages, name as string, 'src');
      const candidates = sub
        ? [join(dir, sub, 'index.ts'), join(dir, `${sub}.ts`)]
        : [join(dir, 'index.ts')];
      const path = candidates.find((file) => existsSync(file));
      if (!path) throw new Error(`No sources for ${args.path} (tried ${candidates.join(', ')}).`);
      return { path };
    });
  },
});

interface Entry {
  name: string;
  /** Module source importing the entry's public exports. */
  source: string;
  /** Vendor packages left out of the bundle (their text is not ours). */
  external?: string[];
  /** Sentences of development messages: present in development, absent in production. */
  sentences: string[];
}

const ENTRIES: Entry[] = [
  {
    name: '@patchbay/realtime-core',
    source: `export * from '@patchbay/realtime-core';`,
    sentences: [
      'The offline queue is full',
      'The message may or may not have been delivered',
      'the set every provider accepts',
      'Send a reference (an id or URL)',
    ],
  },
  {
    name: '@patchbay/realtime-core/transport',
    source: `export * from '@patchbay/realtime-core/transport';`,
    sentences: ['The server sent an unreadable reply.'],
  },
  {
    name: '@patchbay/realtime-core/memory',
    source: `export * from '@patchbay/realtime-core/memory';`,
    sentences: ['The memory hub is stopped (simulated outage).'],
  },
  {
    name: '@patchbay/realtime-sse',
    source: `export * from '@patchbay/realtime-sse';`,
    external: ['eventsource-parser'],
    sentences: ['Is it running (npx patchbay-server)?', 'a proxy may be buffering or holding it'],
  },
  {
    name: '@patchbay/realtime-socketio',
    source: `export * from '@patchbay/realtime-socketio';`,
    external: ['socket.io-client'],
    sentences: ['Is it running (npx patchbay-server)?', "must be the hub's absolute URL"],
  },
  {
    name: '@patchbay/realtime-pusher',
    source: `export * from '@patchbay/realtime-pusher';`,
    external: ['pusher-js'],
    sentences: ['Sign in again with a valid token', 'Is your server running and the URL absolute?'],
  },
  {
    name: '@patchbay/realtime-ably',
    source: `export * from '@patchbay/realtime-ably';`,
    external: ['ably'],
    sentences: ['grant it in the token capability', 'reopen it, then call connect()'],
  },
  {
    name: '@patchbay/realtime-supabase',
    source: `export * from '@patchbay/realtime-supabase';`,
    external: ['@supabase/realtime-js'],
    sentences: ['an RLS policy on realtime.messages', 'Is the app server running?'],
  },
  {
    name: '@patchbay/realtime-react',
    source: `export * from '@patchbay/realtime-react';`,
    external: ['react', 'react/jsx-runtime', 'zod'],
    sentences: ['wrap your tree in <RealtimeProvider client='],
  },
];

async function bundle(entry: Entry, mode: 'production' | 'development'): Promise<string> {
  const result = await build({
    stdin: { contents: entry.source, resolveDir: packages, loader: 'ts' },
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    platform: 'browser',
    define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
    external: entry.external ?? [],
    plugins: [fromSources(entry.name)],
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}

/** Every string or template literal in `code` with at least MESSAGE_LENGTH characters of text. */
function longLiterals(code: string): string[] {
  const file = ts.createSourceFile(
    'bundle.js',
    code,
    ts.ScriptTarget.ES2022,
    true,
    ts.ScriptKind.JS,
  );
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      if (node.text.length >= MESSAGE_LENGTH && !ALLOWED.has(node.text)) found.push(node.text);
      return;
    }
    if (ts.isTemplateExpression(node)) {
      const text = [node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(
        '…',
      );
      if (text.length >= MESSAGE_LENGTH) found.push(text);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe.each(ENTRIES)('a bundle of $name', (entry) => {
  it('carries no message text in production', async () => {
    const code = await bundle(entry, 'production');
    expect(longLiterals(code)).toEqual([]);
    // Not `toContain`: a failure would print the whole bundle.
    const present = entry.sentences.filter((sentence) => code.includes(sentence));
    expect(present).toEqual([]);
    expect(code.includes('process.env.NODE_ENV')).toBe(false);
  });

  it('carries the full messages in development', async () => {
    const code = await bundle(entry, 'development');
    const missing = entry.sentences.filter((sentence) => !code.includes(sentence));
    expect(missing).toEqual([]);
    expect(longLiterals(code).length).toBeGreaterThan(0);
  });
});
