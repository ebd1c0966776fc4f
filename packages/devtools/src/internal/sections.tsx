import type { ConnectionSnapshot } from '@patchbay/realtime-core';
import type {
  InspectedChannel,
  InspectedError,
  InspectSnapshot,
} from '@patchbay/realtime-core/inspect';
import { styles } from './styles.js';

const clock = (at: number) => new Date(at).toISOString().slice(11, 23);

/** The latest connection states, newest first. */
export function Timeline({ timeline }: { timeline: readonly ConnectionSnapshot[] }) {
  return (
    <details open>
      <summary style={styles.heading}>Connection timeline</summary>
      <ol data-testid="pb-devtools-timeline" style={styles.list}>
        {[...timeline]
          .reverse()
          .slice(0, 12)
          .map((entry) => (
            <li key={`${entry.since}-${entry.state}-${entry.attempt}`}>
              <span style={styles.dim}>{clock(entry.since)}</span> {entry.state}
              {entry.attempt > 0 && ` (attempt ${entry.attempt})`}
              {entry.error && <span style={styles.dim}> {entry.error.code}</span>}
            </li>
          ))}
      </ol>
    </details>
  );
}

/**
 * One live channel. A live channel is one subscription at the provider however many handlers,
 * watchers and holds keep it (`holds`): that is the reference counting at work.
 */
export function ChannelView({ channel }: { channel: InspectedChannel }) {
  const { state, members, typing, messages } = channel;
  return (
    <details
      open
      data-testid="pb-devtools-channel"
      data-channel={channel.name}
      style={styles.channel}
    >
      <summary>
        <b>{channel.name}</b> <span style={styles.channelState(state.state)}>{state.state}</span>
        {state.attempt !== undefined && ` (attempt ${state.attempt})`} · 1 subscription ·{' '}
        {channel.holds} {channel.holds === 1 ? 'hold' : 'holds'}
        {channel.lastSeq !== undefined && ` · seq ${channel.lastSeq}`}
      </summary>
      {state.error && <p style={styles.error}>{state.error.message}</p>}
      <p style={styles.line} data-testid="pb-devtools-members">
        Members ({members.length}):{' '}
        {members
          .map((member) =>
            member.connections > 1 ? `${member.clientId} ×${member.connections}` : member.clientId,
          )
          .join(', ') || '—'}
      </p>
      <p style={styles.line}>Typing: {typing.join(', ') || '—'}</p>
      <table style={styles.table} data-testid="pb-devtools-messages">
        <tbody>
          {[...messages].reverse().map((message) => (
            <tr key={`${message.id}-${message.at}`}>
              <td style={styles.dim}>{clock(message.at)}</td>
              <td>{message.event}</td>
              <td>{message.size} B</td>
              <td>{message.clientId ?? '—'}</td>
              <td style={styles.dim} title={message.id}>
                {message.id.slice(0, 10)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

export function ErrorList({ errors }: { errors: readonly InspectedError[] }) {
  if (errors.length === 0) return null;
  return (
    <details open>
      <summary style={styles.heading}>Errors ({errors.length})</summary>
      <ol data-testid="pb-devtools-errors" style={styles.list}>
        {[...errors].reverse().map((error) => (
          <li key={`${error.at}-${error.code}-${error.message}`}>
            <span style={styles.dim}>{clock(error.at)}</span> <b>{error.code}</b> {error.message}
          </li>
        ))}
      </ol>
    </details>
  );
}

export function Capabilities({ capabilities }: { capabilities: InspectSnapshot['capabilities'] }) {
  return (
    <details>
      <summary style={styles.heading}>Capabilities</summary>
      <p style={styles.line}>
        {Object.entries(capabilities)
          .map(([name, value]) => `${name}: ${String(value)}`)
          .join(' · ')}
      </p>
    </details>
  );
}
