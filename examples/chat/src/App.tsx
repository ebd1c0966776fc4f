import { RealtimeDevtools } from '@patchbay/realtime-devtools';
import { RealtimeProvider } from '@patchbay/realtime-react';
import { Component, type ReactNode, useMemo, useState } from 'react';
import { ConnectionBanner } from './ConnectionBanner.js';
import { Room } from './Room.js';
import { chatExtras, servedConfig } from './realtime.js';

const ROOMS = ['general', 'random', 'e2e'];

export function App() {
  const params = new URLSearchParams(window.location.search);
  const [name, setName] = useState(params.get('name') ?? '');
  const [joined, setJoined] = useState(Boolean(params.get('name')));
  const [room, setRoom] = useState(params.get('room') ?? 'general');
  // Read once per user: the provider builds the client from the served config (one line picks
  // the provider) and closes it when the page leaves.
  const extras = useMemo(() => chatExtras(name), [name]);

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
  return (
    <StartupProblem>
      <RealtimeProvider
        config={servedConfig().config}
        extras={extras}
        fallback={<p>Connecting…</p>}
        onError={(error) => console.warn(`[chat] ${error.message}`)}
      >
        <ConnectionBanner />
        <nav>
          {ROOMS.map((r) => (
            <button key={r} type="button" aria-pressed={r === room} onClick={() => setRoom(r)}>
              #{r}
            </button>
          ))}
        </nav>
        <Room room={room} name={name} />
        {/* The connection, channels, presence and queue while you build. Gated on Vite's dev flag
            so a production bundle holds not even the element (e2e/devtoolsSize.test.ts). */}
        {import.meta.env.DEV && <RealtimeDevtools initialIsOpen={params.has('devtools')} />}
      </RealtimeProvider>
    </StartupProblem>
  );
}

/** A bad served config or a missing adapter: say so instead of a blank page. */
class StartupProblem extends Component<{ children: ReactNode }, { error: Error | undefined }> {
  override state = { error: undefined as Error | undefined };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (error) return <p role="alert">Could not start the realtime client: {error.message}</p>;
    return this.props.children;
  }
}
