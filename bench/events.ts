/**
 * The event streams of the bench: NDJSON files written by `webinar-events simulate` (a child process, as a user
 * would make them), and their events parsed once, before any timing, for the in-process figures.
 */
import { createReadStream, writeFileSync } from 'node:fs';
import { ndjsonLines } from '../src/cli/ndjson-lines.js';
import { runCli } from './util.js';

/** Writes `events` simulated lines (no faults: a clean stream, all accepted) to `path`. */
export async function simulateFile(path: string, events: number, seed: string): Promise<void> {
  await runCli(['simulate', '--events', String(events), '--seed', seed, '--out', path], {
    // ~250k lines/s; generous, it only bounds a hang.
    timeoutMs: 120_000 + events * 0.1,
  });
}

/** The forms catalog the simulated stream needs (`simulate --forms-catalog`), written to `path`. */
export async function formsCatalogFile(path: string): Promise<void> {
  const { stdout } = await runCli(['simulate', '--forms-catalog'], { timeoutMs: 30_000 });
  JSON.parse(stdout);
  writeFileSync(path, stdout);
}

/** The events of an NDJSON file, parsed (the file is read as a stream, line by line). */
export async function readEvents(path: string): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  for await (const line of ndjsonLines(createReadStream(path))) {
    if (line.kind !== 'text') throw new Error(`${path}:${line.line}: unreadable line (${line.kind})`);
    events.push(JSON.parse(line.text) as Record<string, unknown>);
  }
  return events;
}
