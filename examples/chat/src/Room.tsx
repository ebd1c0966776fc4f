import { useMessages, usePresence, usePublish, useTyping } from '@patchbay/realtime-react';
import { type FormEvent, useMemo, useState } from 'react';
import { type Member, roomChannel } from './channels.js';

/** One room: messages, composer, who is here and who is typing. */
export function Room({ room, name }: { room: string; name: string }) {
  const channel = useMemo(() => roomChannel(room), [room]);
  const messages = useMessages(channel, { event: 'message', limit: 200 });
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
