import { describe, expect, it } from 'vitest';
import { formatSummary } from './format.js';
import { tally } from './record.js';

describe('tally', () => {
  it('counts lost, duplicated and reordered deliveries by key', () => {
    expect(tally([1, 2, 3, 4, 5], [1, 3, 2, 3, 5])).toEqual({
      sent: 5,
      received: 5,
      lost: 1,
      duplicated: 1,
      reordered: 1,
    });
    expect(tally(['a', 'b'], ['a', 'b'])).toMatchObject({ lost: 0, duplicated: 0, reordered: 0 });
  });

  it('formats one table row per scenario and provider', () => {
    const table = formatSummary([
      { scenario: 'chaos', provider: 'socketio', sent: 10, received: 10, lost: 0, duplicated: 0 },
    ]);
    expect(table).toContain('| chaos    | socketio |');
    expect(table.split('\n')).toHaveLength(5);
  });
});
