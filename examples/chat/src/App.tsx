import type { RealtimeClient } from '@patchbay/realtime-core';
import { RealtimeProvider } from '@patchbay/realtime-react';
import { useEffect, useState } from 'react';
import { ConnectionBanner } from './ConnectionBanner.js';
import { Room } from './Room.js';
import { createChatClient } from './realtime.js';

const ROOMS = ['general', 'random', 'e2e'];

export function App() {
  const params = new URLSearchParams(window.location.search);
  const [name, setName] = useState(params.get('name') ?? '');
  const [joined, setJoined] = useState(Boolean(params.get('name')));
  const [room, setRoom] = useState(params.get('room') ?? 'general');
  const [client, setClient] = useState<RealtimeClient | undefined>();
  const [problem, setProblem] = useState<string | undefined>();

  useEffect(() => {
    if (!joined) return;
    let current: RealtimeClient | undefined;
    createChatClient(name).then(
      (created) => {
        current = created;
        setClient(created);
      },
      (error: Error) => setProblem(error.message),
    );
    return () => current?.close();
  }, [joined, name]);

  if (!joined) {
    return (
      <form
        className="join"
        onSubmit={(event) => {
          event.preventDefault();
          if (name.trim()) setJoined(true);
        }}
      >
        <label>
          Your name <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit">Join</button>
      </form>
    );
  }
  if (problem) return <p role="alert">Could not start the realtime client: {problem}</p>;
  if (!client) return <p>Connecting…</p>;
  return (
    <RealtimeProvider client={client}>
      <ConnectionBanner />
      <nav>
        {ROOMS.map((r) => (
          <button key={r} type="button" aria-pressed={r === room} onClick={() => setRoom(r)}>
            #{r}
          </button>
        ))}
      </nav>
      <Room key={room} room={room} name={name} />
    </RealtimeProvider>
  );
}
