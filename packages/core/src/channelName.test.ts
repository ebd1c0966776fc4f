import { describe, expect, it } from 'vitest';
import { MAX_CHANNEL_NAME_LENGTH, validateChannelName } from './channelName.js';
import { ErrorCodes } from './codes.js';
import { noConnectivitySignals } from './connectivity.js';
import { createRealtime } from './createRealtime.js';
import { InvalidChannelNameError } from './errors.js';
import { memoryTransport } from './memory/memoryTransport.js';

function rejection(name: unknown): InvalidChannelNameError {
  try {
    validateChannelName(name);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidChannelNameError);
    const invalid = error as InvalidChannelNameError;
    expect(invalid.code).toBe(ErrorCodes.InvalidChannelName);
    return invalid;
  }
  throw new Error(`expected ${JSON.stringify(name)} to be rejected`);
}

describe('validateChannelName', () => {
  it('accepts names from the portable set up to 164 characters', () => {
    expect(MAX_CHANNEL_NAME_LENGTH).toBe(164);
    for (const name of [
      'a',
      'chat',
      'Room_42',
      'a-b=c@d,e.f;g',
      'x'.repeat(164),
      'privateroom',
      'presence',
    ]) {
      expect(() => validateChannelName(name)).not.toThrow();
    }
  });

  it('rejects an empty name', () => {
    expect(rejection('').message).toContain('the name is empty');
  });

  it('rejects a name longer than 164 characters, saying how long it is', () => {
    const error = rejection('x'.repeat(165));
    expect(error.message).toContain('165 characters');
    expect(error.message).toContain('164');
  });

  it('names the offending character and its position', () => {
    expect(rejection('room#1').message).toContain('character "#" at position 4 is not allowed');
    expect(rejection('bad name').message).toContain('character " " at position 3');
    expect(rejection('café').message).toContain('character "é" at position 3');
    expect(rejection('a/b').channel).toBe('a/b');
  });

  it.each([
    ['private-room', 'private-'],
    ['presence-room', 'presence-'],
    ['private-encrypted-room', 'private-encrypted-'],
  ])('rejects %s, naming the reserved provider prefix %s', (name, prefix) => {
    expect(rejection(name).message).toContain(`the prefix "${prefix}" is reserved`);
  });

  it('rejects a non-string name', () => {
    expect(rejection(42).message).toContain('expected a string, got number');
    expect(rejection(undefined).message).toContain('got undefined');
  });

  it('tells the user which characters are allowed', () => {
    expect(rejection('a b').message).toContain('A–Z a–z 0–9 and _ - = @ , . ;');
  });
});

describe('client.channel(name)', () => {
  it('throws InvalidChannelNameError for a bad name and returns one shared handle for a good one', () => {
    const client = createRealtime({
      transport: memoryTransport(),
      connectivity: noConnectivitySignals,
    });
    expect(() => client.channel('bad name')).toThrow(InvalidChannelNameError);
    expect(() => client.channel('presence-lobby')).toThrow(/reserved/);
    expect(() => client.channel('')).toThrow(
      expect.objectContaining({ code: 'invalid_channel_name' }),
    );
    expect(client.channel('lobby')).toBe(client.channel('lobby'));
  });
});
