import type { RealtimeMessage } from '@patchbay/realtime-core';
import {
  useChannel,
  useEvent,
  usePresence,
  usePublish,
  useRealtime,
  useTyping,
} from '@patchbay/realtime-react';
import { type FormEvent, useCallback, useEffect, useMemo, useState } from 'react';
import { type Member, roomChannel } from './channels.js';
import { historyUrl } from './realtime.js';

type ChatMessage = RealtimeMessage<'message', { text: string }>;

/** Add messages not seen yet (by id), keeping the list in time order. */
function merge(current: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const seen = new Set(current.map((m) => m.id));
  const fresh = incoming.filter((m) => !seen.has(m.id));
  if (fresh.length === 0) return current as ChatMessage[];
  return [...current, ...fresh].sort((a, b) => a.timestamp - b.timestamp).slice(-200);
}

/** One room: messages, composer, who is here and who is typing. */
export function Room({ room, name }: { room: string; name: string }) {
  const channel = useMemo(() => roomChannel(room), [room]);
  const client = useRealtime();
  const live = useChannel(channel);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  useEvent(channel, 'message', (message) => setMessages((current) => merge(current, [message])));

  // Recent history on join, and again whenever the channel could not replay a gap (Pusher after
  // any reconnect; others after a long outage): the reconnect pattern for a chat.
  const refetch = useCallback(async () => {
    let past: ChatMessage[] = [];
    if (client.capabilities.history) {
      past = (await live.history({ limit: 100 })).filter(
        (m) => m.event === 'message',
      ) as ChatMessage[];
    } else {
      const url = historyUrl();
      if (url)
        past = (await (
          await fetch(`${url}?channel=${encodeURIComponent(live.name)}`)
        ).json()) as ChatMessage[];
    }
    setMessages((current) => merge(current, past));
  }, [client, live]);
  useEffect(() => {
    void live.ready().then(refetch, () => {});
    return live.on('discontinuity', () => void refetch().catch(() => {}));
  }, [live, refetch]);
  const { publish, error } = usePublish(channel);
  const { members } = usePresence<Member>(channel, { name });
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
        {error && (
          <p role="alert" className="error">
            {error.message}
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
      </aside>
    </main>
  );
}
