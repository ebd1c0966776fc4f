import { createRealtime, noConnectivitySignals } from '@patchbay/realtime-core';
import { createMemoryHub, memoryTransport } from '@patchbay/realtime-core/memory';
import { RealtimeProvider, useMessages, usePresence } from '@patchbay/realtime-react';
import { act, cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RealtimeDevtools } from './index.js';

// React has nothing to say about the panel (e.g. "getSnapshot should be cached").
let consoleError: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  consoleError = vi.spyOn(console, 'error');
});
afterEach(() => {
  cleanup();
  expect(consoleError).not.toHaveBeenCalled();
  consoleError.mockRestore();
});

function Room({ name }: { name: string }) {
  useMessages('room', { limit: 10 });
  usePresence('room', { name });
  return null;
}

function setup() {
  const hub = createMemoryHub();
  const make = (clientId: string) =>
    createRealtime({
      transport: memoryTransport({ hub }),
      clientId,
      connectivity: noConnectivitySignals,
      reconnect: { baseDelayMs: 50, maxDelayMs: 100 },
    });
  return { hub, alice: make('alice'), bob: make('bob') };
}

const panelText = () => screen.getByTestId('pb-devtools').textContent ?? '';

describe('<RealtimeDevtools />', () => {
  it('shows the connection, the room with its members and messages, and its buttons work', async () => {
    const { hub, alice, bob } = setup();
    render(
      <RealtimeProvider client={alice}>
        <Room name="Alice" />
        <RealtimeDevtools initialIsOpen />
      </RealtimeProvider>,
    );
    await bob.connect();
    const bobRoom = bob.channel('room');
    bobRoom.subscribe(() => {});
    const hold = bobRoom.presence.hold({ name: 'Bob' });
    await hold.ready;

    await expect.poll(() => screen.getByTestId('pb-devtools-state').textContent).toBe('connected');
    expect(screen.getByTestId('pb-devtools-provider').textContent).toBe('memory');
    const channel = await screen.findByTestId('pb-devtools-channel');
    expect(channel.dataset.channel).toBe('room');
    await expect.poll(() => channel.textContent).toMatch(/attached · 1 subscription · \d+ holds/);
    await expect
      .poll(() => within(channel).getByTestId('pb-devtools-members').textContent)
      .toBe('Members (2): alice, bob');

    await bobRoom.publish('message', { text: 'hello' });
    await expect
      .poll(() => within(channel).getByTestId('pb-devtools-messages').textContent)
      .toContain('message16 Bbob');

    fireEvent.click(screen.getByRole('button', { name: 'Drop the link' }));
    await expect
      .poll(() => screen.getByTestId('pb-devtools-timeline').textContent)
      .toContain('reconnecting (attempt 1)');
    await expect
      .poll(() => screen.getByTestId('pb-devtools-state').textContent, { timeout: 5_000 })
      .toBe('connected');

    fireEvent.click(screen.getByRole('button', { name: 'Clear messages' }));
    expect(within(channel).getByTestId('pb-devtools-messages').textContent).toBe('');

    fireEvent.click(screen.getByRole('button', { name: 'Go offline' }));
    await expect
      .poll(() => screen.getByTestId('pb-devtools-state').textContent)
      .toBe('disconnected');
    fireEvent.click(screen.getByRole('button', { name: 'Go online' }));
    await expect.poll(() => screen.getByTestId('pb-devtools-state').textContent).toBe('connected');
    expect(panelText()).toContain('Queue: 0 pending · 0 in flight');

    hold.release();
    alice.close();
    bob.close();
    hub.stop();
  });

  it('starts as a small button that opens the panel', async () => {
    const { alice } = setup();
    render(<RealtimeDevtools client={alice} />);
    fireEvent.click(screen.getByTestId('pb-devtools-open'));
    expect(screen.getByTestId('pb-devtools-state').textContent).toBe('idle');
    fireEvent.click(screen.getByRole('button', { name: 'Close devtools' }));
    expect(screen.queryByTestId('pb-devtools')).toBeNull();
  });

  it('opening the panel changes nothing the provider sees: no extra subscription or presence', async () => {
    const { hub, alice } = setup();
    render(<RealtimeDevtools client={alice} initialIsOpen />);
    await act(() => alice.connect());
    await act(() => new Promise((resolve) => setTimeout(resolve, 300)));
    expect(hub.stats()).toEqual({ connections: 1, channels: 0, members: 0 });
    alice.close();
  });
});
