/** One scenario's outcome for one provider, as the summary table shows it. */
export interface ScenarioResult {
  scenario: string;
  provider: string;
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  /** Messages delivered out of order. */
  reordered?: number;
  /** Anything else a reader needs: discontinuities signalled, heap change, rejections. */
  note?: string;
}

/** A Markdown table: one row per scenario and provider, in the order they were recorded. */
export function formatSummary(rows: ScenarioResult[]): string {
  const header = [
    'scenario',
    'provider',
    'sent',
    'received',
    'lost',
    'duplicated',
    'reordered',
    'note',
  ];
  const body = rows.map((r) => [
    r.scenario,
    r.provider,
    String(r.sent),
    String(r.received),
    String(r.lost),
    String(r.duplicated),
    String(r.reordered ?? 0),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 2 && i <= 6 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const title = `Reliability summary (${rows.length} scenario rows)`;
  if (rows.length === 0) return `${title}: no scenario recorded anything.`;
  return [title, '', line(header), rule, ...body.map(line)].join('\n');
}
