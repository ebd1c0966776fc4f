/**
 * Generates docs/providers.md — the capability matrix — from what each BUILT transport declares.
 *
 * Run from the repository root after `pnpm build` (tsx is a dev dependency of examples/chat):
 *
 *   pnpm --filter @patchbay/example-chat exec tsx ../../scripts/capabilities.ts          # write
 *   pnpm --filter @patchbay/example-chat exec tsx ../../scripts/capabilities.ts --check  # verify
 *
 * The transport packages are resolved from examples/chat, which depends on all of them, and
 * imported from their `dist` ESM entry. Factories never connect, so dummy options are enough.
 * Exit codes: 0 written / up to date; 1 `--check` found docs/providers.md stale; 2 a transport
 * could not be loaded, constructed or read (not built, not exporting its factory, bad capabilities).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The shape of `TransportCapabilities` in packages/core/src/transport.ts. */
interface Capabilities {
  clientPublish: boolean;
  publishAck: boolean;
  presence: boolean;
  presenceUpdate: boolean;
  history: boolean;
  recovery: boolean;
  echoControl: boolean;
  presenceGrace: boolean;
  maxMessageBytes: number;
}

type Flag = Exclude<keyof Capabilities, 'maxMessageBytes'>;

const FLAGS: readonly Flag[] = [
  'clientPublish',
  'publishAck',
  'presence',
  'presenceUpdate',
  'history',
  'recovery',
  'echoControl',
  'presenceGrace',
];

type AnyModule = Record<string, unknown>;
type Factory = (options?: unknown) => {
  provider?: unknown;
  capabilities?: unknown;
  linkMode?: unknown;
};

interface Column {
  /** Column heading in the matrix. */
  heading: string;
  /** The `provider` name the transport must report. */
  provider: string;
  pkg: string;
  factory: string;
  /** How the column's transport is constructed, as shown under the matrix. */
  call: string;
  /** Resolve the package from this folder (relative to the root) instead of examples/chat. */
  from?: string;
  /** A remark on the construction, shown after it. */
  remark?: string;
  make(factory: Factory, module: AnyModule): ReturnType<Factory>;
}

const DUMMY_URL = 'http://127.0.0.1:8787';

const COLUMNS: readonly Column[] = [
  {
    heading: 'memory',
    provider: 'memory',
    pkg: '@patchbay/realtime-core/memory',
    factory: 'memoryTransport',
    call: 'memoryTransport({ hub: createMemoryHub() })',
    make: (factory, module) => {
      const createMemoryHub = module.createMemoryHub;
      if (typeof createMemoryHub !== 'function') {
        throw new Error('@patchbay/realtime-core/memory does not export createMemoryHub');
      }
      return factory({ hub: createMemoryHub() });
    },
  },
  {
    heading: 'socketio',
    provider: 'socketio',
    pkg: '@patchbay/realtime-socketio',
    factory: 'socketioTransport',
    call: `socketioTransport({ url: '${DUMMY_URL}' })`,
    make: (factory) => factory({ url: DUMMY_URL }),
  },
  {
    heading: 'sse',
    provider: 'sse',
    pkg: '@patchbay/realtime-sse',
    factory: 'sseTransport',
    call: `sseTransport({ url: '${DUMMY_URL}' })`,
    make: (factory) => factory({ url: DUMMY_URL }),
  },
  {
    heading: 'pusher (publishEndpoint)',
    provider: 'pusher',
    pkg: '@patchbay/realtime-pusher',
    factory: 'pusherTransport',
    call: "pusherTransport({ key: 'app-key', authEndpoint: 'https://app.example/pusher/auth', publishEndpoint: 'https://app.example/pusher/publish' })",
    remark: 'publishes go through your `createPusherPublishHandler` route',
    make: (factory) =>
      factory({
        key: 'app-key',
        authEndpoint: 'https://app.example/pusher/auth',
        publishEndpoint: 'https://app.example/pusher/publish',
      }),
  },
  {
    heading: 'pusher (client events)',
    provider: 'pusher',
    pkg: '@patchbay/realtime-pusher',
    factory: 'pusherTransport',
    call: "pusherTransport({ key: 'app-key', authEndpoint: 'https://app.example/pusher/auth' })",
    remark: 'no `publishEndpoint`: publishes are Pusher client events',
    make: (factory) => factory({ key: 'app-key', authEndpoint: 'https://app.example/pusher/auth' }),
  },
  {
    heading: 'ably',
    provider: 'ably',
    pkg: '@patchbay/realtime-ably',
    factory: 'ablyTransport',
    call: "ablyTransport({ clientOptions: { key: 'app.key:secret' } })",
    make: (factory) => factory({ clientOptions: { key: 'app.key:secret' } }),
  },
  {
    heading: 'supabase',
    provider: 'supabase',
    pkg: '@patchbay/realtime-supabase',
    factory: 'supabaseTransport',
    call: "supabaseTransport({ url: 'https://ref.supabase.co', apiKey: 'anon-key' })",
    make: (factory) => factory({ url: 'https://ref.supabase.co', apiKey: 'anon-key' }),
    // Not a dependency of examples/chat: resolved from its own package folder.
    from: 'packages/supabase',
  },
];

/** What core does when a capability is false (packages/core/src: createRealtime.ts, channel.ts, channelPresence.ts). */
const FALLBACKS: Record<Flag, { meaning: string; whenFalse: string }> = {
  clientPublish: {
    meaning: 'Clients can publish.',
    whenFalse:
      '**`NotSupportedError`.** `channel.publish()` rejects with `NotSupportedError` (code `not_supported`) before anything is queued; the message names the provider and the alternative: publish from your server with the provider package’s `/server` helpers and call that from the app. Typing signals and emulated presence updates are ephemeral and are dropped silently if the provider refuses them.',
  },
  publishAck: {
    meaning: '`publish()` resolves on the provider’s acknowledgement and rejects on its refusal.',
    whenFalse:
      '**Resolves on hand-off.** Nothing is emulated: `publish()` still goes through the publish queue (order, offline queue, overflow, size and schema checks) but resolves once the transport handed the message to the provider. Delivery is not confirmed, a refusal by the provider cannot reach the caller, and `PublishTimeoutError` only fires if the hand-off itself takes longer than `publishTimeoutMs`.',
  },
  presence: {
    meaning: 'The provider has presence sets.',
    whenFalse:
      '**`NotSupportedError`.** `channel.presence.enter()` and `update()` reject with `NotSupportedError` (alternative: pick a provider with presence, or track members with your own channel events); `leave()` resolves with nothing to do and the members store stays empty. `usePresence` reports the error in its `error` field.',
  },
  presenceUpdate: {
    meaning: 'Presence data can change without a leave and an enter.',
    whenFalse:
      '**Emulated by core.** `presence.update(data)` publishes the reserved ephemeral event `patchbay:presence-update` `{ data }` and applies it locally; every client folds it into its member set as an `update` — never a leave + enter. Because the provider’s own member list only knows enter-time data, a client that receives a non-empty `sync` asks the channel (`{ request: true }`) and members that updated answer with their current data; a member re-entering after a reconnect re-broadcasts it. The emulated update is unacknowledged: the promise resolves on hand-off.',
  },
  history: {
    meaning: 'Past messages can be fetched with `channel.history()`.',
    whenFalse:
      '**`NotSupportedError`.** `channel.history()` rejects with `NotSupportedError` (alternative: load past messages from your own API — your database is the source of truth — or use a provider with history).',
  },
  recovery: {
    meaning: 'After a reconnect the transport replays what a channel missed.',
    whenFalse:
      "**`discontinuity`.** After every reconnect each live channel re-attaches and emits `discontinuity` `{ channel, reason: 'provider-cannot-replay' }`: messages published while the link was down are not replayed, so refetch in `channel.on('discontinuity', …)`. `useInvalidateOnEvent` (with a fixed query key) and `usePatchOnEvent` from `@patchbay/realtime-react/query` invalidate their queries on it by themselves. Where recovery exists but the gap outlived the provider’s history, the reason is `history-unavailable`. Never silent loss.",
  },
  echoControl: {
    meaning: 'The provider can suppress a connection’s own messages.',
    whenFalse:
      '**Filtered by core.** With `echo: false`, core remembers the ids it published (a window of `dedupeWindow`, default 5 000) and drops them when they come back, so handlers see the same thing on every provider; the messages still travel over the wire. Core applies this filter on every provider, so `echo: false` never depends on the flag.',
  },
  presenceGrace: {
    meaning:
      'The provider keeps a member whose link dropped for a grace period before it reports the leave (the hub 5 s, `presenceGraceMs`; Ably 15 s).',
    whenFalse:
      '**Held by core.** A leave that was not deliberate is held on the receiving side for `presence.leaveGraceMs` (`createRealtime` option, default 5 000 ms, the hub’s grace) and dropped when the member enters again from any connection, so a member whose link blips is never seen leaving. Deliberate leaves (`presence.leave()`, `client.close()`) are marked by the transport and shown at once; a member who really lost its link is shown leaving after the grace.',
  },
};

/** Provider notes printed under the matrix, for the columns present. */
const NOTES: Record<string, string> = {
  memory:
    '**memory** — in-process hub for tests, demos and server rendering. `memoryTransport({ hub, capabilities: { recovery: false, presenceUpdate: false, … } })` pretends to lack capabilities, so you can exercise these fallbacks without a server; `maxMessageBytes` is the hub’s (`createMemoryHub({ maxMessageBytes })`).',
  socketio:
    '**socketio** — the self-hosted hub (`@patchbay/realtime-server`) over Socket.IO. Set the transport’s `maxMessageBytes` option to the hub’s `maxMessageBytes` if you change it. Typing uses volatile (unacknowledged) emits.',
  sse: '**sse** — the same hub over a fetch stream plus HTTP `POST`s. Publishes travel in ordered batches, one batch in flight. Set `maxMessageBytes` to the hub’s if you change it.',
  pusher:
    '**pusher** — `publishEndpoint` decides two flags: with it (a `createPusherPublishHandler` route on your server) publishes are acknowledged by Pusher’s HTTP API, go one request at a time (`maxPublishesInFlight: 1`, so `publishTimeoutMs` counts each request alone) and `echo: false` uses Pusher’s socket exclusion; without it, publishes are client events (enable client events in the Pusher app), not acknowledged, and never echoed by Pusher — the transport hands your own message back to you locally so `echo: true` behaves as elsewhere. Either way, typing signals and emulated presence updates are client events, which Pusher rate-limits (about 10 per second per connection). Pusher keeps no history: expect `discontinuity` after every reconnect. Default `maxMessageBytes` is 9 216 (Pusher’s 10 KB minus the envelope). One pusher-js client lives as long as the Patchbay client (or pass your own, `pusher`); pusher-js reconnects and subscribes its channels again, and each attempt is bounded by `connectTimeoutMs` and spaced by the app’s `reconnect` policy. `presence-<name>` is joined only while presence or typing is used on the channel (client-events mode: always, since messages travel there); Pusher caps presence channels at 100 members. Pusher removes a member as soon as its socket closes, so core holds that leave for `presence.leaveGraceMs`; a deliberate leave is signalled first and shows at once.',
  supabase:
    '**supabase** — Broadcast and Presence over `@supabase/realtime-js`. One `RealtimeClient` lives as long as the Patchbay client (or pass the app’s own, `client`, e.g. `supabase.realtime`); realtime-js reconnects and rejoins its channels, spaced by the app’s `reconnect` policy, and asks `auth()` for a fresh token after each drop and before the token expires. Broadcast keeps no history for client channels: expect `discontinuity` after every rejoin. Publishes are acknowledged (`broadcast: { ack: true }`); on private channels Supabase drops a broadcast your RLS does not allow without answering, and the transport reports it as `PublishRejectedError` once the socket answers a heartbeat but not the broadcast. Supabase does not stamp senders: `clientId` is the `sub` of the token the sender connected with, written by its transport. Supabase removes a member as soon as its socket closes, so core holds that leave for `presence.leaveGraceMs`; a deliberate leave is signalled first and shows at once. Default `maxMessageBytes` is 261 120 (the Free plan’s 256 KB broadcast payload minus the envelope).',
  ably: '**ably** — every capability is native. One `Ably.Realtime` lives as long as the Patchbay client (or pass your own, `client`, or a constructor such as ably-js’s modular `BaseRealtime` through `@patchbay/realtime-ably/modular`); ably-js reconnects, resumes the connection and re-attaches its channels, and the app’s `reconnect` policy sets its retry timeouts. A resumed channel needs nothing more; history is read only for a channel Ably re-attached without resuming, back to the last delivered serial (at most `maxRecoveryPages`, 10 pages of 100), else `discontinuity`. Ably holds a dropped member for 15 s. `auth()` is called when ably-js needs a token (a new connection, a renewal), not on a resumed session. `channel.history()` reads Ably history; its `afterSeq` option is ignored (Ably’s cursor is its serial). Set `maxMessageBytes` to your account’s limit.',
};

const root = fileURLToPath(new URL('..', import.meta.url));
const target = join(root, 'docs', 'providers.md');
const fromExample = createRequire(join(root, 'examples', 'chat', 'package.json'));
const RUN = 'pnpm --filter @patchbay/example-chat exec tsx ../../scripts/capabilities.ts';

class SetupError extends Error {}

async function loadBuilt(specifier: string, from?: string): Promise<AnyModule> {
  // `@scope/name/sub` is the package `@scope/name`'s `./sub` entry.
  const [scope = '', name = '', ...sub] = specifier.split('/');
  const pkg = `${scope}/${name}`;
  const subpath = sub.length > 0 ? `./${sub.join('/')}` : '.';
  let manifestPath: string;
  try {
    manifestPath = (from ? createRequire(join(root, from, 'package.json')) : fromExample).resolve(
      `${pkg}/package.json`,
    );
  } catch {
    throw new SetupError(
      `${pkg} is not installed for examples/chat (it resolves the transports). Run \`pnpm install\` at the repository root.`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    module?: string;
    exports?: Record<string, { import?: { default?: string } } | undefined>;
  };
  const entry =
    manifest.exports?.[subpath]?.import?.default ?? (subpath === '.' ? manifest.module : undefined);
  if (!entry) {
    throw new SetupError(`${pkg}/package.json has no ESM entry (exports["${subpath}"].import).`);
  }
  const file = join(dirname(manifestPath), entry);
  if (!existsSync(file)) {
    throw new SetupError(
      `${pkg} is not built: ${relative(root, file)} is missing. Run \`pnpm build\` (or \`pnpm --filter ${pkg} build\`) first.`,
    );
  }
  try {
    return (await import(pathToFileURL(file).href)) as AnyModule;
  } catch (error) {
    throw new SetupError(
      `${pkg} could not be imported from ${relative(root, file)}: ${(error as Error).message}`,
    );
  }
}

interface Result {
  column: Column;
  capabilities: Capabilities;
  linkMode: 'attempt' | 'persistent';
}

function readTransport(column: Column, module: AnyModule): Omit<Result, 'column'> {
  const factory = module[column.factory];
  if (typeof factory !== 'function') {
    throw new SetupError(
      `${column.pkg} does not export ${column.factory}() yet (exports: ${Object.keys(module).join(', ') || 'none'}). Finish and build the package, then run this script again.`,
    );
  }
  let transport: ReturnType<Factory>;
  try {
    transport = column.make(factory as Factory, module);
  } catch (error) {
    throw new SetupError(
      `${column.call} threw: ${(error as Error).message}. The script's dummy options no longer match the factory; update COLUMNS in scripts/capabilities.ts.`,
    );
  }
  if (transport?.provider !== column.provider) {
    throw new SetupError(
      `${column.factory}() reports provider ${JSON.stringify(transport?.provider)}, expected "${column.provider}".`,
    );
  }
  const capabilities = transport.capabilities as Partial<Capabilities> | undefined;
  const problems: string[] = [];
  for (const flag of FLAGS) {
    if (typeof capabilities?.[flag] !== 'boolean') problems.push(`${flag} is not a boolean`);
  }
  const bytes = capabilities?.maxMessageBytes;
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes <= 0) {
    problems.push('maxMessageBytes is not a positive integer');
  }
  const linkMode = transport.linkMode ?? 'attempt';
  if (linkMode !== 'attempt' && linkMode !== 'persistent') {
    problems.push(`linkMode ${JSON.stringify(linkMode)} is neither "attempt" nor "persistent"`);
  }
  if (problems.length > 0) {
    throw new SetupError(`${column.factory}().capabilities is invalid: ${problems.join('; ')}.`);
  }
  return {
    capabilities: capabilities as Capabilities,
    linkMode: linkMode === 'persistent' ? 'persistent' : 'attempt',
  };
}

function formatBytes(bytes: number): string {
  const grouped = String(bytes).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return bytes % 1024 === 0 ? `${grouped} (${bytes / 1024} KiB)` : grouped;
}

function render(results: ReadonlyArray<Result>): string {
  const lines: string[] = [];
  const row = (cells: readonly string[]) => lines.push(`| ${cells.join(' | ')} |`);
  const headings = results.map((r) => r.column.heading);

  lines.push('# Providers');
  lines.push('');
  lines.push(
    `> Generated by [\`scripts/capabilities.ts\`](../scripts/capabilities.ts) from the \`capabilities\` each built transport declares — do not edit by hand. How to run: \`pnpm build\`, then \`${RUN}\` from the repository root; add \`--check\` to only verify (exit code 1 when this file is stale).`,
  );
  lines.push('');
  lines.push(
    'Every transport declares what its provider does natively (`client.capabilities`). Core emulates what it can and refuses the rest with `NotSupportedError` naming the alternative, so an app behaves the same on every provider or fails loudly. Set-up per provider: the hub for socketio and sse in the [server README](../packages/server/README.md), authentication for all of them in [guides/auth.md](guides/auth.md).',
  );
  lines.push('');
  lines.push('## Capability matrix');
  lines.push('');
  row(['capability', ...headings]);
  row(['---', ...headings.map(() => '---')]);
  for (const flag of FLAGS) {
    row([`\`${flag}\``, ...results.map((r) => (r.capabilities[flag] ? 'yes' : '**no**'))]);
  }
  row(['`maxMessageBytes`', ...results.map((r) => formatBytes(r.capabilities.maxMessageBytes))]);
  row([
    '`linkMode`',
    ...results.map((r) =>
      r.linkMode === 'persistent' ? 'persistent (the SDK reconnects)' : 'attempt (core reconnects)',
    ),
  ]);
  lines.push('');
  lines.push(
    '`linkMode` says who brings a dropped link back. `attempt`: each connection attempt is one `connect()`, and core retries with its backoff. `persistent`: one vendor client lives as long as the Patchbay client and reconnects by itself (its resume, fallback transports and hosts included); core maps its reports onto the same connection states and counts its attempts against `reconnect.maxAttempts`. See the provider notes for where the timings differ.',
  );
  lines.push('');
  lines.push('Each column is the transport built with:');
  lines.push('');
  for (const { column } of results) {
    const remark = column.remark ? ` — ${column.remark}` : '';
    lines.push(`- **${column.heading}** — \`${column.call}\` from \`${column.pkg}\`${remark}`);
  }
  lines.push('');
  lines.push(
    '`maxMessageBytes` is the default; every transport factory except `memoryTransport` takes a `maxMessageBytes` option. Core measures the UTF-8 bytes of `JSON.stringify({ event, data })` (after the schema) and rejects a larger publish with `MessageTooLargeError` (code `message_too_large`) before it is queued.',
  );
  lines.push('');
  lines.push('## What core does when a capability is `false`');
  lines.push('');
  for (const flag of FLAGS) {
    const lacking = lackingLabels(results, flag);
    const where =
      lacking.length > 0
        ? `\`false\` on: ${lacking.join(', ')}.`
        : '`true` on every transport above.';
    lines.push(`### \`${flag}\``);
    lines.push('');
    lines.push(`${FALLBACKS[flag].meaning} ${where}`);
    lines.push('');
    lines.push(`When \`false\`: ${FALLBACKS[flag].whenFalse}`);
    lines.push('');
  }
  lines.push('## Provider notes');
  lines.push('');
  const seen = new Set<string>();
  for (const { column } of results) {
    if (seen.has(column.provider)) continue;
    seen.add(column.provider);
    const note = NOTES[column.provider];
    if (note) lines.push(`- ${note}`);
  }
  lines.push('');
  return lines.join('\n');
}

/** Columns lacking `flag`, named by provider when every column of that provider lacks it. */
function lackingLabels(results: ReadonlyArray<Result>, flag: Flag): string[] {
  const labels: string[] = [];
  for (const provider of new Set(results.map((r) => r.column.provider))) {
    const columns = results.filter((r) => r.column.provider === provider);
    const lacking = columns.filter((r) => !r.capabilities[flag]);
    if (lacking.length === 0) continue;
    if (lacking.length === columns.length) labels.push(provider);
    else labels.push(...lacking.map((r) => r.column.heading));
  }
  return labels;
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const modules = new Map<string, AnyModule>();
  const results: Array<Result> = [];
  for (const column of COLUMNS) {
    let module = modules.get(column.pkg);
    if (!module) {
      module = await loadBuilt(column.pkg, column.from);
      modules.set(column.pkg, module);
    }
    results.push({ column, ...readTransport(column, module) });
  }
  const content = render(results);
  const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
  if (check) {
    if (current === content) {
      console.log('docs/providers.md is up to date.');
      return 0;
    }
    console.error(
      `docs/providers.md is ${current === undefined ? 'missing' : 'stale'}: it differs from what the built transports declare. Regenerate it with \`${RUN}\` and commit the result.`,
    );
    return 1;
  }
  if (current === content) {
    console.log('docs/providers.md is already up to date.');
  } else {
    writeFileSync(target, content);
    console.log(`Wrote docs/providers.md (${results.length} columns).`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof SetupError) console.error(`capabilities: ${error.message}`);
    else console.error(error);
    process.exit(2);
  },
);
