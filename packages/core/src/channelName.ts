import { InvalidChannelNameError } from './errors.js';

/** Longest channel name every provider accepts (Pusher's limit less its `presence-` prefix). */
export const MAX_CHANNEL_NAME_LENGTH = 164;

const PORTABLE = /^[A-Za-z0-9_\-=@,.;]+$/;
const RESERVED_PREFIXES = ['private-encrypted-', 'private-', 'presence-'];

/**
 * Throw `InvalidChannelNameError` unless `name` is portable across every provider. The error
 * names the first offending character and its position.
 */
export function validateChannelName(name: unknown): asserts name is string {
  if (typeof name !== 'string') {
    throw new InvalidChannelNameError(String(name), `expected a string, got ${typeof name}`);
  }
  if (name.length === 0) throw new InvalidChannelNameError(name, 'the name is empty');
  if (name.length > MAX_CHANNEL_NAME_LENGTH) {
    throw new InvalidChannelNameError(
      name,
      `it is ${name.length} characters long; the limit is ${MAX_CHANNEL_NAME_LENGTH}`,
    );
  }
  if (!PORTABLE.test(name)) {
    const chars = Array.from(name);
    const index = chars.findIndex((char) => !PORTABLE.test(char));
    const bad = chars[index] ?? '';
    throw new InvalidChannelNameError(
      name,
      `character ${JSON.stringify(bad)} at position ${index} is not allowed`,
    );
  }
  const reserved = RESERVED_PREFIXES.find((prefix) => name.startsWith(prefix));
  if (reserved) {
    throw new InvalidChannelNameError(
      name,
      process.env.NODE_ENV !== 'production'
        ? `the prefix "${reserved}" is reserved: transports add provider prefixes themselves, so name the channel without it`
        : `reserved prefix ${reserved}`,
    );
  }
}
