import { describe, expect, it } from 'vitest';
import { PresenceSet } from './presenceSet.js';
import type { TransportPresenceMember } from './transport/types.js';

const conn = (
  clientId: string,
  connectionId: string,
  data: unknown = null,
): TransportPresenceMember => ({
  clientId,
  connectionId,
  data,
});

const types = (events: { type: string }[]) => events.map((event) => event.type);

describe('PresenceSet', () => {
  it('folds several connections of one clientId into one member', () => {
    const set = new PresenceSet();
    expect(
      types(set.apply({ type: 'enter', member: conn('ada', 'tab1', { status: 'here' }) })),
    ).toEqual(['enter']);
    expect(set.apply({ type: 'enter', member: conn('ada', 'tab2', { status: 'here' }) })).toEqual(
      [],
    );
    expect(set.members).toEqual([{ clientId: 'ada', data: { status: 'here' }, connections: 2 }]);
  });

  it('keeps the member when one of its connections leaves, and emits leave when the last one goes', () => {
    const set = new PresenceSet();
    set.apply({ type: 'enter', member: conn('ada', 'tab1') });
    set.apply({ type: 'enter', member: conn('ada', 'tab2') });
    expect(set.apply({ type: 'leave', member: conn('ada', 'tab2') })).toEqual([]);
    expect(set.members).toEqual([{ clientId: 'ada', data: null, connections: 1 }]);
    const events = set.apply({ type: 'leave', member: conn('ada', 'tab1') });
    expect(events).toEqual([
      { type: 'leave', member: { clientId: 'ada', data: null, connections: 0 } },
    ]);
    expect(set.members).toEqual([]);
  });

  it('ignores a leave from a connection it never saw', () => {
    const set = new PresenceSet();
    set.apply({ type: 'enter', member: conn('ada', 'tab1') });
    expect(set.apply({ type: 'leave', member: conn('ada', 'ghost') })).toEqual([]);
    expect(set.apply({ type: 'leave', member: conn('bob', 'b1') })).toEqual([]);
    expect(set.members).toHaveLength(1);
  });

  it('reports a data change as one update, never as leave + enter', () => {
    const set = new PresenceSet();
    set.apply({ type: 'enter', member: conn('ada', 'tab1', { status: 'here' }) });
    const events = set.apply({ type: 'update', member: conn('ada', 'tab1', { status: 'away' }) });
    expect(events).toEqual([
      { type: 'update', member: { clientId: 'ada', data: { status: 'away' }, connections: 1 } },
    ]);
    // A provider that re-sends "enter" for a present user is an update too.
    expect(
      types(set.apply({ type: 'enter', member: conn('ada', 'tab1', { status: 'busy' }) })),
    ).toEqual(['update']);
    // Same data again: nothing visible changed.
    expect(set.apply({ type: 'update', member: conn('ada', 'tab1', { status: 'busy' }) })).toEqual(
      [],
    );
  });

  it('treats an update from an unknown user as an enter', () => {
    const set = new PresenceSet();
    expect(types(set.apply({ type: 'update', member: conn('bob', 'b1', 1) }))).toEqual(['enter']);
  });

  it('shows the remaining connection data as an update when the connection that set it leaves', () => {
    const set = new PresenceSet();
    set.apply({ type: 'enter', member: conn('ada', 'phone', 'mobile') });
    set.apply({ type: 'enter', member: conn('ada', 'laptop', 'desktop') });
    const events = set.apply({ type: 'leave', member: conn('ada', 'laptop') });
    expect(events).toEqual([
      { type: 'update', member: { clientId: 'ada', data: 'mobile', connections: 1 } },
    ]);
  });

  it('diffs a sync against the known members: enter, leave, update, then sync', () => {
    const set = new PresenceSet();
    set.apply({ type: 'enter', member: conn('ada', 'a1', 'x') });
    set.apply({ type: 'enter', member: conn('bob', 'b1', 'y') });
    set.apply({ type: 'enter', member: conn('cy', 'c1', 'z') });
    const events = set.apply({
      type: 'sync',
      members: [
        conn('ada', 'a1', 'x'),
        conn('cy', 'c1', 'z2'),
        conn('dee', 'd1', 'w'),
        conn('dee', 'd2', 'w'),
      ],
    });
    expect(
      events.map((e) => (e.type === 'sync' ? 'sync' : `${e.type}:${e.member.clientId}`)),
    ).toEqual(['leave:bob', 'update:cy', 'enter:dee', 'sync']);
    const sync = events[events.length - 1];
    expect(sync).toEqual({ type: 'sync', members: set.members });
    expect(set.members).toEqual([
      { clientId: 'ada', data: 'x', connections: 1 },
      { clientId: 'cy', data: 'z2', connections: 1 },
      { clientId: 'dee', data: 'w', connections: 2 },
    ]);
  });

  it('emits only sync when a sync brings nothing new', () => {
    const set = new PresenceSet();
    set.apply({ type: 'enter', member: conn('ada', 'a1', { n: 1 }) });
    expect(types(set.apply({ type: 'sync', members: [conn('ada', 'a1', { n: 1 })] }))).toEqual([
      'sync',
    ]);
  });

  it('updateMember changes data once for all connections; clear() leaves everyone', () => {
    const set = new PresenceSet();
    set.apply({ type: 'enter', member: conn('ada', 'a1', 1) });
    set.apply({ type: 'enter', member: conn('ada', 'a2', 1) });
    expect(types(set.updateMember('ada', 2))).toEqual(['update']);
    expect(set.updateMember('ada', 2)).toEqual([]);
    expect(set.updateMember('nobody', 2)).toEqual([]);
    // Both connections carry the new data: one leaving does not revert it.
    expect(set.apply({ type: 'leave', member: conn('ada', 'a2') })).toEqual([]);
    expect(set.members).toEqual([{ clientId: 'ada', data: 2, connections: 1 }]);
    expect(types(set.clear())).toEqual(['leave']);
    expect(set.members).toEqual([]);
  });

  it('freezes each members snapshot and never mutates an earlier one', () => {
    const set = new PresenceSet();
    set.apply({ type: 'enter', member: conn('ada', 'a1') });
    const before = set.members;
    expect(Object.isFrozen(before)).toBe(true);
    set.apply({ type: 'enter', member: conn('bob', 'b1') });
    expect(set.members).not.toBe(before);
    expect(before).toHaveLength(1);
  });
});
