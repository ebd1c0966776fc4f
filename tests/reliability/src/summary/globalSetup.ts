import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { formatSummary, type ScenarioResult } from './format.js';

declare module 'vitest' {
  export interface ProvidedContext {
    reliabilityResultsFile: string;
  }
}

let resultsFile = '';

export function setup(project: TestProject): void {
  const dir = join(tmpdir(), `patchbay-reliability-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  resultsFile = join(dir, 'results.jsonl');
  writeFileSync(resultsFile, '');
  project.provide('reliabilityResultsFile', resultsFile);
}

/** Print every scenario's counts as one table, and keep a copy in test-results/. */
export function teardown(): void {
  const rows: ScenarioResult[] = readFileSync(resultsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ScenarioResult);
  const table = formatSummary(rows);
  console.log(`\n${table}\n`);
  const out = join(import.meta.dirname, '..', '..', 'test-results');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'reliability-summary.md'), `${table}\n`);
  rmSync(join(resultsFile, '..'), { recursive: true, force: true });
}
