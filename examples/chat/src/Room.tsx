import type { RealtimeMessage } from '@patchbay/realtime-core';
import {
  useChannel,
  useChannelState,
  useMessages,
  usePresence,
  usePublish,
  useRealtime,
  useTyping,
} from '@patchbay/realtime-react';
import { type FormEvent, useEffect, useMemo, useState } from 'react';
import { type RoomChannel, roomChannel } from './channels.js';
import { historyUrl } from './realtime.js';

type ChatMessage = RealtimeMessage<'message', { text: string }>;

/**
 * One room: messages, composer, who is here and who is typing. Switching rooms re-renders this
 * component with another channel: the hooks leave the old room (presence included) and join the
 * new one.
 */
export function Room({ room, name }: { room: string; name: string }) {
  const channel = useMemo(() => roomChannel(room), [room]);
  // The last 100 messages from the provider's history, then live ones, each once and in order.
  const live = useMessages(channel, { event: 'message', history: 100, limit: 200 });
  const fromServer = useAppServerHistory(channel);
  const messages = useMemo(() => mergeById(fromServer, live), [fromServer, live]);
  // Attach refusals and payloads dropped as invalid on this room.
  const { error: channelError } = useChannelState(channel);
  const { publish, error } = usePublish(channel);
  const { members, others } = usePresence(channel, { name });
  const { typing, start, stop } = useTyping(channel);
  const [draft, setDraft] = useState('');

  const send = (event: FormEvent) => {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    publish('message', { text });
    stop();
    setDraft('');
  };

  return (
    <main className="room">
      <section className="messages">
        <ul data-testid="messages">
          {messages.map((message) => (
            <li key={message.id}>
              <b>{message.clientId ?? 'server'}</b>: {message.data.text}
            </li>
          ))}
        </ul>
        <p data-testid="typing" className="typing">
          {typing.length > 0
            ? `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`
            : ' '}
        </p>
        <form onSubmit={send}>
          <input
            aria-label="Message"
            data-testid="composer"
            value={draft}
            onChange={(event) => {
              setDraft(event.target.value);
              if (event.target.value) start();
            }}
            placeholder={`Message #${room}`}
          />
          <button type="submit">Send</button>
        </form>
        {(error ?? channelError) && (
          <p role="alert" className="error">
            {(error ?? channelError)?.message}
          </p>
        )}
      </section>
      <aside>
        <h2>Here now</h2>
        <ul data-testid="presence">
          {members.map((member) => (
            <li key={member.clientId}>
              {member.data?.name ?? member.clientId}
              {member.connections > 1 ? ` (${member.connections} tabs)` : ''}
            </li>
          ))}
        </ul>
        <p className="others">
          {others.length === 0 ? 'Nobody else is here.' : `${others.length} others here`}
        </p>
      </aside>
    </main>
  );
}

/**
 * Providers without history (Pusher): the app server's copy, on join and again whenever the
 * channel could not replay a gap (`discontinuity`). Elsewhere `useMessages({ history })` covers it.
 */
function useAppServerHistory(channel: RoomChannel): readonly ChatMessage[] {
  const client = useRealtime();
  const live = useChannel(channel);
  const [past, setPast] = useState<{ channel: string; messages: ChatMessage[] }>({
    channel: live.name,
    messages: [],
  });
  useEffect(() => {
    const url = historyUrl();
    if (client.capabilities.history || !url) return;
    let active = true;
    const refetch = async () => {
      const response = await fetch(`${url}?channel=${encodeURIComponent(live.name)}`);
      const messages = (await response.json()) as ChatMessage[];
      if (active) setPast({ channel: live.name, messages });
    };
    void live.ready().then(refetch, () => {});
    const off = live.on('discontinuity', () => void refetch().catch(() => {}));
    return () => {
      active = false;
      off();
    };
  }, [client, live]);
  return past.channel === live.name ? past.messages : [];
}

/** Messages of both sources, each id once, in time order, the latest 200. */
function mergeById(
  first: readonly ChatMessage[],
  second: readonly ChatMessage[],
): readonly ChatMessage[] {
  if (first.length === 0) return second;
  const byId = new Map<string, ChatMessage>();
  for (const message of [...first, ...second]) byId.set(message.id, message);
  return [...byId.values()].sort((a, b) => a.timestamp - b.timestamp).slice(-200);
}
