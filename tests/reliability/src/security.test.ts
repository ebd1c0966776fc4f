import type { RealtimeClient, RealtimeMessage } from '@patchbay/realtime-core';
import { sleep, waitFor, waitForState } from '@patchbay/realtime-testkit';
import type * as Ably from 'ably';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { record } from './summary/record.js';
import {
  collect,
  type HubReply,
  rawHubSocket,
  ready,
  refusal,
  waitForCount,
} from './support/securityClients.js';
import {
  createSecurityRig,
  issueToken,
  PROVIDERS,
  type Provider,
  type SecurityRig,
} from './support/securityRig.js';

/** How long a test keeps listening after the last legitimate delivery for anything that leaks. */
const SETTLE_MS = 300;
const AUTH_ERRORS = ['auth_rejected', 'publish_rejected'];

describe.each(PROVIDERS)('security on %s', (provider: Provider) => {
  const rig: SecurityRig = createSecurityRig(provider);
  const clients: RealtimeClient[] = [];
  let counter = 0;
  const channel = (label: string) => `sec-${provider}-${label}-${++counter}`;
  const client = (options: Parameters<SecurityRig['client']>[0]) => {
    const created = rig.client({ reconnect: { baseDelayMs: 50, maxDelayMs: 200 }, ...options });
    clients.push(created);
    return created;
  };

  beforeAll(() => rig.setup());
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(() => rig.teardown());

  it('an unauthorized subscribe is refused with auth_rejected and receives nothing published later', async () => {
    const attempts = 3;
    const names = Array.from({ length: attempts }, () => channel('sub'));
    for (const name of names) rig.deny({ clientId: 'eve', channel: name, action: 'subscribe' });
    const bob = client({ user: 'bob' });
    const eve = client({ user: 'eve' });
    const bobGot: RealtimeMessage[] = [];
    for (const name of names) bob.channel(name).subscribe((m) => bobGot.push(m));
    await ready(bob, ...names);
    await eve.connect();
    const errors: string[] = [];
    const eveGot: RealtimeMessage[] = [];
    for (const name of names) eve.channel(name).subscribe((m) => eveGot.push(m));
    for (const name of names) {
      const error = await refusal(() => eve.channel(name).ready());
      errors.push(error.code);
    }
    const perChannel = 5;
    for (const name of names) {
      for (let i = 0; i < perChannel; i++) await bob.channel(name).publish('secret', { i });
    }
    await waitForCount('bob’s own messages', bobGot, attempts * perChannel);
    await sleep(SETTLE_MS);
    const leaked = names.reduce(
      (sum, name) => sum + eveGot.filter((m) => m.channel === name).length,
      0,
    );
    const subscribers = names.map((name) => rig.subscriberCount(name));
    record({
      scenario: 'forbidden subscribe',
      provider,
      sent: attempts,
      received: leaked,
      lost: 0,
      duplicated: 0,
      note: `${errors.filter((c) => c === 'auth_rejected').length}/${attempts} rejected with auth_rejected; ${attempts * perChannel} later publishes, ${leaked} reached eve; provider subscribers ${subscribers.join('/')}`,
    });
    expect(errors).toEqual(names.map(() => 'auth_rejected'));
    for (const name of names) expect(eve.channel(name).state.getSnapshot().state).toBe('failed');
    expect(leaked).toBe(0);
    expect(subscribers).toEqual(names.map(() => 1));
    expect(eve.connection.getSnapshot().state).toBe('connected');
  });

  it('an unauthorized publish is refused and never delivered to a subscriber', async () => {
    const name = channel('pub');
    rig.deny({ clientId: 'eve', channel: name, action: 'publish' });
    const bob = client({ user: 'bob' });
    const eve = client({ user: 'eve' });
    const bobGot = collect(bob, name);
    const eveGot = collect(eve, name);
    await ready(bob, name);
    await ready(eve, name);
    const attempts = 10;
    const codes: string[] = [];
    for (let i = 0; i < attempts; i++) {
      const error = await refusal(() => eve.channel(name).publish('forged', { i }));
      codes.push(error.code);
    }
    // A legitimate message after the forbidden ones proves the subscriber was listening.
    await bob.channel(name).publish('legit', { ok: true });
    await waitForCount('the legitimate message', bobGot, 1);
    await sleep(SETTLE_MS);
    const leaked = [...bobGot, ...eveGot].filter((m) => m.event === 'forged').length;
    const byCode = Object.entries(
      codes.reduce<Record<string, number>>((acc, code) => {
        acc[code] = (acc[code] ?? 0) + 1;
        return acc;
      }, {}),
    )
      .map(([code, n]) => `${n} rejected with ${code}`)
      .join(', ');
    record({
      scenario: 'forbidden publish',
      provider,
      sent: attempts,
      received: leaked,
      lost: 0,
      duplicated: 0,
      note: byCode,
    });
    for (const code of codes) expect(AUTH_ERRORS).toContain(code);
    expect(leaked).toBe(0);
    expect(bobGot.map((m) => m.event)).toEqual(['legit']);
    expect(eve.connection.getSnapshot().state).toBe('connected');
  });

  it('an unauthorized presence enter is refused and never shows in member lists', async () => {
    const name = channel('presence');
    rig.deny({ clientId: 'eve', channel: name, action: 'presence' });
    const bob = client({ user: 'bob' });
    const eve = client({ user: 'eve' });
    const seen = new Set<string>();
    collect(bob, name);
    await ready(bob, name);
    const offMembers = bob.channel(name).presence.subscribe(() => {
      for (const member of bob.channel(name).presence.getSnapshot()) seen.add(member.clientId);
    });
    const offEvents = bob.channel(name).presence.onEvent((event) => {
      if ('member' in event && event.member) seen.add(event.member.clientId);
    });
    await bob.channel(name).presence.enter({ role: 'host' });
    await waitFor('bob in his own member list', () =>
      bob
        .channel(name)
        .presence.getSnapshot()
        .some((m) => m.clientId === 'bob'),
    );
    await eve.connect();
    const attempts = 3;
    const codes: string[] = [];
    for (let i = 0; i < attempts; i++) {
      const error = await refusal(() => eve.channel(name).presence.enter({ i }));
      codes.push(error.code);
    }
    await sleep(SETTLE_MS);
    const members = bob
      .channel(name)
      .presence.getSnapshot()
      .map((m) => m.clientId);
    const leaked = seen.has('eve') ? 1 : 0;
    record({
      scenario: 'forbidden presence enter',
      provider,
      sent: attempts,
      received: leaked,
      lost: 0,
      duplicated: 0,
      note: `${codes.filter((c) => c === 'auth_rejected').length}/${attempts} rejected with auth_rejected; members seen by bob: ${[...seen].join(',')}`,
    });
    offMembers();
    offEvents();
    expect(codes).toEqual(codes.map(() => 'auth_rejected'));
    expect(members).toEqual(['bob']);
    expect(seen.has('eve')).toBe(false);
  });

  it('a client authenticated as alice cannot act as bob', async () => {
    const name = channel('spoof');
    const carol = client({ user: 'carol' });
    const carolGot = collect(carol, name);
    await ready(carol, name);
    const presenceSeen = new Set<string>();
    const offEvents = carol.channel(name).presence.onEvent((event) => {
      if ('member' in event && event.member) presenceSeen.add(event.member.clientId);
      if ('members' in event) for (const m of event.members) presenceSeen.add(m.clientId);
    });
    const offMembers = carol.channel(name).presence.subscribe(() => {
      for (const m of carol.channel(name).presence.getSnapshot()) presenceSeen.add(m.clientId);
    });
    const notes: string[] = [];
    let attempts = 0;
    let through = 0;

    // 1. The client option asks for bob; the token says alice.
    attempts++;
    const alice = client({ user: 'alice', clientId: 'bob' });
    const connected = await alice.connect().then(
      () => true,
      (error: { code: string }) => {
        notes.push(`clientId option refused at connect (${error.code})`);
        return false;
      },
    );
    if (connected) {
      expect(alice.connection.getSnapshot().clientId).toBe('alice');
      await alice.channel(name).publish('hello', { from: 'alice' });
      await alice.channel(name).presence.enter({ claimed: 'bob' });
      await waitFor('alice in carol’s members', () =>
        carol
          .channel(name)
          .presence.getSnapshot()
          .some((m) => m.clientId === 'alice'),
      );
      await waitForCount('alice’s message', carolGot, 1);
      notes.push(`clientId option ignored: snapshot, message and member say alice`);
    }

    // 2. Crafted frames with a forged identity, below the Patchbay client.
    if (provider === 'socketio' || provider === 'sse') {
      const server = rig.hubServer?.();
      if (!server) throw new Error('hub rig without a server');
      attempts++;
      const raw = await rawHubSocket(server.url, {
        token: issueToken('alice'),
        clientId: 'bob',
      });
      expect(raw.welcome.clientId).toBe('alice');
      const forged: HubReply[] = [];
      for (const extra of [
        { clientId: 'bob' },
        { connectionId: 'forged-connection' },
        { clientId: 'bob', connectionId: 'forged-connection', seq: 1 },
      ]) {
        attempts++;
        forged.push(
          await raw.request({
            op: 'publish',
            channel: name,
            id: `forged-${attempts}`,
            event: 'forged',
            data: {},
            ...extra,
          }),
        );
      }
      attempts++;
      forged.push(
        await raw.request({
          op: 'presence',
          channel: name,
          action: 'enter',
          data: {},
          clientId: 'bob',
        }),
      );
      const plain = await raw.request({
        op: 'publish',
        channel: name,
        id: 'raw-plain',
        event: 'raw-plain',
        data: {},
      });
      expect(plain).toMatchObject({ ok: true });
      await waitFor('the raw publish at carol', () =>
        carolGot.some((m) => m.event === 'raw-plain'),
      );
      raw.close();
      const refused = forged.filter((r) => !r.ok && r.error.code === 'invalid_frame').length;
      notes.push(
        `raw pb frames with forged clientId/connectionId: ${refused}/${forged.length} refused (invalid_frame)`,
      );
      expect(refused).toBe(forged.length);
      const rawMessage = carolGot.find((m) => m.event === 'raw-plain');
      expect(rawMessage?.clientId).toBe('alice');
      expect(rawMessage?.connectionId).toBe(raw.welcome.connectionId);
    }
    if (provider === 'ably' && rig.rawAbly) {
      // The bare ably-js SDK with alice's token publishes a message that names bob.
      attempts++;
      const raw = await rig.rawAbly('alice');
      const outcome = await raw.channels
        .get(name)
        .publish({ name: 'raw-claim', data: 'x', clientId: 'bob' })
        .then(
          () => 'accepted',
          (error: Ably.ErrorInfo) => `refused (${error.code})`,
        );
      if (outcome === 'accepted') {
        await waitFor('the raw publish at carol', () =>
          carolGot.some((m) => m.event === 'raw-claim'),
        );
      }
      raw.close();
      notes.push(`ably-js publish claiming clientId bob: ${outcome}`);
    }

    await sleep(SETTLE_MS);
    const claimedBob =
      carolGot.filter((m) => m.clientId === 'bob').length + (presenceSeen.has('bob') ? 1 : 0);
    through = claimedBob;
    record({
      scenario: 'clientId spoofing',
      provider,
      sent: attempts,
      received: through,
      lost: 0,
      duplicated: 0,
      note: notes.join('; '),
    });
    offEvents();
    offMembers();
    expect(carolGot.filter((m) => m.event === 'forged')).toEqual([]);
    for (const message of carolGot) expect(message.clientId).toBe('alice');
    expect(presenceSeen.has('bob')).toBe(false);
    expect(through).toBe(0);
  });

  it('an expired token is refreshed on reconnect, without an auth loop', async () => {
    const name = channel('refresh');
    const bob = client({ user: 'bob' });
    const bobGot = collect(bob, name);
    await ready(bob, name);
    const auth = vi.fn(() => issueToken('alice', auth.mock.calls.length === 1 ? 1_500 : 3_600_000));
    const alice = client({ auth });
    const aliceGot = collect(alice, name);
    await ready(alice, name);
    let dropped = false;
    alice.connection.subscribe(() => {
      if (alice.connection.getSnapshot().state !== 'connected') dropped = true;
    });
    await sleep(1_600);
    // The token alice connected with has expired; the link drops, as a network would. Ably
    // resumes the same connection once it has a fresh token; the others open a new one.
    await rig.drop(alice);
    const windowStart = auth.mock.calls.length;
    await waitFor(
      'alice connected again',
      () => dropped && alice.connection.getSnapshot().state === 'connected',
      { timeoutMs: 15_000 },
    );
    await alice.channel(name).ready();
    await alice.channel(name).publish('after-refresh', { n: 1 });
    await bob.channel(name).publish('to-alice', { n: 2 });
    await waitFor('both messages at both clients', () =>
      ['after-refresh', 'to-alice'].every(
        (event) => bobGot.some((m) => m.event === event) && aliceGot.some((m) => m.event === event),
      ),
    );
    // A fixed window: a tight refresh loop would keep calling auth().
    await sleep(2_000);
    const calls = auth.mock.calls.length;
    record({
      scenario: 'expired token refresh',
      provider,
      sent: 2,
      received: ['after-refresh', 'to-alice'].filter((e) => aliceGot.some((m) => m.event === e))
        .length,
      lost: 0,
      duplicated: 0,
      note: `auth() called ${calls}× (${calls - windowStart} after the drop), state ${alice.connection.getSnapshot().state}, clientId ${alice.connection.getSnapshot().clientId}`,
    });
    expect(alice.connection.getSnapshot()).toMatchObject({ state: 'connected', clientId: 'alice' });
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(calls).toBeLessThanOrEqual(5);
  });

  it('an auth() that keeps returning an expired token ends in failed with a clear error, bounded', async () => {
    let stale: string | undefined;
    const auth = vi.fn(() => {
      stale ??= issueToken('mallory', 1_000);
      return stale;
    });
    const mallory = client({ auth });
    await mallory.connect();
    await sleep(1_100);
    await rig.drop(mallory);
    await waitForState(mallory, 'failed', { timeoutMs: 15_000 });
    await sleep(2_000);
    const snapshot = mallory.connection.getSnapshot();
    const calls = auth.mock.calls.length;
    record({
      scenario: 'stale token, no loop',
      provider,
      sent: calls,
      received: 0,
      lost: 0,
      duplicated: 0,
      note: `auth() called ${calls}×, ended ${snapshot.state} with ${snapshot.error?.code}: ${snapshot.error?.message.slice(0, 90)}`,
    });
    expect(snapshot.state).toBe('failed');
    expect(snapshot.error?.code).toBe('auth_rejected');
    expect(snapshot.error?.message.length).toBeGreaterThan(20);
    expect(calls).toBeLessThanOrEqual(5);
  });
});

describe('hub rate limit under a publish flood (socketio)', () => {
  const limit = { perSecond: 50, burst: 20, maxWaitMs: 200 };
  const rig = createSecurityRig('socketio', { rateLimit: limit });
  beforeAll(() => rig.setup());
  afterAll(() => rig.teardown());

  it('a flooding client gets rate_limited and cannot exceed burst + rate × elapsed; others are unaffected', async () => {
    const server = rig.hubServer?.();
    if (!server) throw new Error('hub rig without a server');
    const flooded = 'sec-flood';
    const quiet = 'sec-quiet';
    const watcher = rig.client({ user: 'watcher' });
    const neighbour = rig.client({ user: 'neighbour' });
    const watched = collect(watcher, flooded);
    const neighbourGot = collect(neighbour, quiet);
    await ready(watcher, flooded);
    await ready(neighbour, quiet);
    const raw = await rawHubSocket(server.url, { token: issueToken('flooder') });

    const total = 2_000;
    const started = performance.now();
    const flood = Array.from({ length: total }, (_, i) =>
      raw.request({ op: 'publish', channel: flooded, id: `f-${i}`, event: 'flood', data: i }),
    );
    // The neighbour publishes on the same hub while the flood is being handled.
    const neighbourSent = 20;
    const neighbourPublishes = Array.from({ length: neighbourSent }, (_, i) =>
      neighbour.channel(quiet).publish('calm', { i }),
    );
    const replies = await Promise.all(flood);
    const elapsedMs = performance.now() - started;
    const neighbourOutcomes = await Promise.allSettled(neighbourPublishes);
    await waitForCount('the neighbour’s messages', neighbourGot, neighbourSent);
    await sleep(SETTLE_MS);
    raw.close();

    const accepted = replies.filter((r) => r.ok).length;
    const limited = replies.filter((r) => !r.ok && r.error.code === 'rate_limited').length;
    const other = total - accepted - limited;
    const delivered = watched.filter((m) => m.event === 'flood').length;
    const ceiling = limit.burst + (limit.perSecond * elapsedMs) / 1_000 + 5;
    record({
      scenario: 'publish flood (rate limit)',
      provider: 'socketio',
      sent: total,
      received: delivered,
      lost: 0,
      duplicated: 0,
      note: `${limited} rejected with rate_limited, ${accepted} accepted in ${Math.round(elapsedMs)} ms (ceiling ${Math.floor(ceiling)}); neighbour ${neighbourGot.length}/${neighbourSent} delivered, ${neighbourOutcomes.filter((o) => o.status === 'rejected').length} refused`,
    });
    expect(other).toBe(0);
    expect(limited).toBeGreaterThan(0);
    expect(delivered).toBe(accepted);
    expect(delivered).toBeLessThanOrEqual(ceiling);
    expect(neighbourOutcomes.every((o) => o.status === 'fulfilled')).toBe(true);
    expect(neighbourGot).toHaveLength(neighbourSent);
    watcher.close();
    neighbour.close();
  });
});
