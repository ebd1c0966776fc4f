import type { TransportPresenceMember } from '@patchbay/realtime-core/transport';

/**
 * What the transport tracks as a connection's presence on a Supabase channel, under a presence
 * key of its own (the Patchbay connection id): `{ clientId, connectionId, data }`.
 */
export interface PresenceMeta {
  clientId: string;
  connectionId: string;
  data: unknown;
}

type Meta = Record<string, unknown>;

/**
 * The channel's members, kept from realtime-js's presence `join` and `leave` events (the diffs,
 * which carry each meta's `presence_ref`) rather than from `presenceState()`: realtime-js 2.109
 * strips `phx_ref` from the metas already under a key whenever that key joins or leaves again (a
 * re-track is both), after which its own state can no longer remove them.
 *
 * Metas tracked by other Supabase clients (no `connectionId`) are members too: their key stands
 * for the user, their presence_ref for the connection, and the meta itself is the data.
 */
export class PresenceMirror {
  readonly #keys = new Map<string, Map<string, Meta>>();

  join(key: string, metas: readonly Meta[]): void {
    const refs = this.#keys.get(key) ?? new Map<string, Meta>();
    for (const meta of metas) {
      if (typeof meta.presence_ref === 'string') refs.set(meta.presence_ref, meta);
    }
    if (refs.size > 0) this.#keys.set(key, refs);
  }

  /** `remaining`: realtime-js's metas left under the key (none: the key is gone). */
  leave(key: string, metas: readonly Meta[], remaining: readonly Meta[]): void {
    const refs = this.#keys.get(key);
    if (!refs) return;
    for (const meta of metas) {
      if (typeof meta.presence_ref === 'string') refs.delete(meta.presence_ref);
    }
    if (refs.size === 0 || remaining.length === 0) this.#keys.delete(key);
  }

  /** Every present connection; `hidden` are presence_refs that announced a deliberate leave. */
  members(hidden: ReadonlySet<string>): { members: TransportPresenceMember[]; refs: Set<string> } {
    const members: TransportPresenceMember[] = [];
    const refs = new Set<string>();
    for (const [key, metas] of this.#keys) {
      for (const [ref, meta] of metas) {
        refs.add(ref);
        if (hidden.has(ref)) continue;
        if (
          typeof meta.connectionId === 'string' &&
          typeof meta.clientId === 'string' &&
          'data' in meta
        ) {
          members.push({
            clientId: meta.clientId,
            connectionId: meta.connectionId,
            data: meta.data ?? null,
          });
        } else {
          const { presence_ref: _ref, ...data } = meta;
          members.push({ clientId: key, connectionId: ref, data });
        }
      }
    }
    return { members, refs };
  }

  /** The presence_ref this client's connection is tracked under, if any. */
  refOf(connectionId: string): string | undefined {
    const refs = this.#keys.get(connectionId);
    return refs ? [...refs.keys()].at(-1) : undefined;
  }
}
