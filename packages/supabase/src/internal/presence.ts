import type { TransportPresenceMember } from '@patchbay/realtime-core';

/**
 * What the transport tracks as a connection's presence on a Supabase channel: the presence key
 * is the clientId (so `presenceState()` groups a user's tabs under one key, as Supabase's own
 * examples do), and each connection's meta carries its Patchbay connection id and the app's data.
 */
export interface PresenceMeta {
  clientId: string;
  connectionId: string;
  data: unknown;
}

/**
 * The members in a realtime-js `presenceState()`, one per tracked connection. Metas tracked by
 * other Supabase clients (no `connectionId`) are members too: their presence_ref stands for the
 * connection and the meta itself is the data. `hidden` are presence_refs whose owners announced
 * a deliberate leave that the server has not applied yet.
 */
export function membersOf(
  state: Record<string, Array<Record<string, unknown>>>,
  hidden: ReadonlySet<string>,
): { members: TransportPresenceMember[]; refs: Set<string> } {
  const members: TransportPresenceMember[] = [];
  const refs = new Set<string>();
  for (const [key, metas] of Object.entries(state)) {
    for (const meta of metas) {
      const ref = typeof meta.presence_ref === 'string' ? meta.presence_ref : undefined;
      if (ref !== undefined) refs.add(ref);
      if (ref !== undefined && hidden.has(ref)) continue;
      if (typeof meta.connectionId === 'string' && 'data' in meta) {
        members.push({ clientId: key, connectionId: meta.connectionId, data: meta.data ?? null });
      } else {
        const { presence_ref: _ref, ...data } = meta;
        members.push({ clientId: key, connectionId: ref ?? key, data });
      }
    }
  }
  return { members, refs };
}
