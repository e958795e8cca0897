import { createWriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import { isRfc3339Instant } from '../contract/index.js';
import {
  FAULT_KINDS,
  INVALID_KINDS,
  MAX_LEADS,
  SIMULATED_FORMS,
  SIMULATE_DEFAULTS,
  simulate,
  type FaultKind,
  type InvalidKind,
  type SimulateOptions,
} from '../simulate/index.js';
import { EXIT, UsageError, parseCommandArgs } from './args.js';
import { Progress } from './progress.js';
import type { Output } from './output.js';

export const simulateHelp = `Usage: webinar-events simulate [--webinars N] [--leads M] [--seed S] [--faults F]
                               [--start ISO] [--events K] [--out FILE]
       webinar-events simulate --forms-catalog

Writes a realistic NDJSON stream of client webinar events (CloudEvents 1.0, structured JSON, one event per
line) to stdout or FILE. Deterministic: the same options and seed always give byte-identical output.

Options:
  --webinars N     webinars to simulate (default ${SIMULATE_DEFAULTS.webinars}; with --events and no --webinars: as many as it takes)
  --leads M        leads per webinar (default ${SIMULATE_DEFAULTS.leads})
  --seed S         any string; every random choice follows from it (default ${SIMULATE_DEFAULTS.seed})
  --faults F       share 0..1 of the events that get a fault (default 0: a clean stream, all accepted)
  --start ISO      RFC 3339 instant at which the first webinar opens registration
                   (default ${SIMULATE_DEFAULTS.start})
  --events K       stop after K lines
  --out FILE       write to FILE instead of stdout
  --forms-catalog  print the forms catalog the stream needs (see below) and exit
  -h, --help       this help

What the stream contains, webinar after webinar (webinar k opens registration at START + 2(k-1) days
and starts 24 h later):
  - webinars W-<seed tag>-001, -002, …: the first live, the second auto, then either, one type each;
    live: one slot (slot_id slot-YYYYMMDD-HHMM), 90 min; auto: watched on demand over 20 h, 60 min
  - client_webinar_registered   ~95% of the leads, over the 23 h before the start, source /registration-page,
                                a channel in data.source; the others are walk-ins who enter unregistered
  - client_webinar_entered      ~62% of the registered leads, source /webinar-room, one per participation
                                session with a sessionid; ~4% of sessions enter without lead_id (anonymous,
                                named by their later left/completed); ~1% of arrivals add a visitor with
                                neither lead_id nor sessionid
  - client_webinar_left         leave_reason user_exit, session_end or network_loss; most leads re-enter in a
                                new session after a network_loss; ~2% of sessions never send their left
  - client_webinar_completed    when a session reaches 80% of the webinar; before its left or just after it
  - client_webinar_form_submitted  after completion, source /webinar-forms: feedback, survey, materials_request
Event ids are <webinar>-<lead>-<n> (<webinar>-visitor-<i> for visitors); leads are L-nnnnnn, and about
10% of a webinar's leads come back from the previous one. Timestamps are whole seconds, UTC.

Forms catalog: some leads submit the "survey" form twice, which only a catalog that allows re-submission
accepts (otherwise: FORM_ALREADY_SUBMITTED). The catalog of the simulated forms:
  ${JSON.stringify(SIMULATED_FORMS)}
  webinar-events simulate --forms-catalog > forms.json
  webinar-events simulate --faults 0.05 | webinar-events validate --forms forms.json -

Faults (--faults F): each event, with probability F, gets one of
  duplicate     an exact re-send a few seconds later                          → duplicate
  retry         the same id and content re-sent with a later "time"           → duplicate
  out_of_order  overtaken by the lead's next event, or a registration
                delivered after the lead's entry                              → accepted, with warnings
  invalid       followed by a broken copy: an unknown field, a missing field,
                a bad timestamp, an unknown type, or a line cut short          → rejected

Progress on stderr when it is a terminal; a one-line summary on stderr at the end.`;

/** What a run wrote: lines by event type (originals), faults by kind, webinars by type. */
export interface SimulationStats {
  lines: number;
  readonly byType: Map<string, number>;
  readonly faults: Record<FaultKind, number>;
  readonly invalid: Record<InvalidKind, number>;
  readonly webinars: Map<string, string>;
  /** The reader went away (EPIPE) before the end. */
  closedEarly: boolean;
}

export interface WriteSimulationOptions {
  /** Stop after this many lines. */
  readonly limit?: number;
  readonly onProgress?: (lines: number) => void;
}

const CHUNK_CHARS = 64 * 1024;

/**
 * Writes the simulated stream as NDJSON to `stream`, in chunks of about 64 KiB, waiting for 'drain' whenever the
 * stream asks to. Does not end the stream. A reader that goes away (EPIPE) ends the run quietly.
 */
export async function writeSimulation(
  options: SimulateOptions,
  stream: Writable,
  { limit = Infinity, onProgress }: WriteSimulationOptions = {},
): Promise<SimulationStats> {
  const stats: SimulationStats = {
    lines: 0,
    byType: new Map(),
    faults: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    invalid: Object.fromEntries(INVALID_KINDS.map((k) => [k, 0])) as Record<InvalidKind, number>,
    webinars: new Map(),
    closedEarly: false,
  };
  let failure: Error | undefined;
  let drained: (() => void) | undefined;
  const onError = (error: Error): void => {
    failure ??= error;
    drained?.();
  };
  const onDrain = (): void => drained?.();
  stream.on('error', onError);
  stream.on('drain', onDrain);

  /** Writes one chunk; resolves false when the stream failed. */
  const write = async (chunk: string): Promise<boolean> => {
    if (failure !== undefined) return false;
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve) => {
        drained = resolve;
        if (failure !== undefined) resolve();
      });
      drained = undefined;
    }
    return failure === undefined;
  };

  try {
    let chunk = '';
    if (limit > 0) {
      for (const emitted of simulate(options)) {
        const { line, fault } = emitted;
        if (typeof line === 'string') chunk += `${line}\n`;
        else {
          chunk += `${JSON.stringify(line)}\n`;
          if (fault === null || fault === 'out_of_order') {
            stats.byType.set(line.type, (stats.byType.get(line.type) ?? 0) + 1);
            const webinarType = line.data['webinar_type'];
            if (typeof webinarType === 'string' && !stats.webinars.has(line.data['webinar_id'] as string)) {
              stats.webinars.set(line.data['webinar_id'] as string, webinarType);
            }
          }
        }
        if (fault !== null) stats.faults[fault]++;
        if (emitted.invalid !== null) stats.invalid[emitted.invalid]++;
        stats.lines++;
        if (chunk.length >= CHUNK_CHARS) {
          if (!(await write(chunk))) break;
          chunk = '';
          onProgress?.(stats.lines);
        }
        if (stats.lines >= limit) break;
      }
    }
    if (chunk.length > 0) await write(chunk);
    if (failure !== undefined) {
      if ((failure as NodeJS.ErrnoException).code === 'EPIPE') stats.closedEarly = true;
      else throw failure;
    }
    return stats;
  } finally {
    stream.off('drain', onDrain);
    // Keep a listener: a late EPIPE must not crash the process once the run is over.
    stream.off('error', onError);
    stream.on('error', () => undefined);
  }
}

const SHORT_TYPE = (type: string): string => type.replace(/^client_webinar_/, '');

/** The one-line summary written to stderr. */
export function summaryLine(stats: SimulationStats, seconds: number, target: string): string {
  const n = (x: number): string => x.toLocaleString('en');
  const live = [...stats.webinars.values()].filter((t) => t === 'live').length;
  const types = [...stats.byType].map(([type, count]) => `${SHORT_TYPE(type)} ${n(count)}`).join(', ');
  const faultTotal = FAULT_KINDS.reduce((sum, k) => sum + stats.faults[k], 0);
  const invalid = INVALID_KINDS.filter((k) => stats.invalid[k] > 0)
    .map((k) => `${k} ${n(stats.invalid[k])}`)
    .join(', ');
  const faults =
    faultTotal === 0
      ? 'no faults'
      : `faults: ${FAULT_KINDS.map((k) => `${k} ${n(stats.faults[k])}`).join(', ')}` +
        (invalid === '' ? '' : ` (${invalid})`);
  const rate = seconds > 0 ? `, ${n(Math.round(stats.lines / seconds))}/s` : '';
  return (
    `simulate: ${n(stats.lines)} lines to ${target} in ${seconds.toFixed(1)} s${rate}; ` +
    `${stats.webinars.size} webinar${stats.webinars.size === 1 ? '' : 's'} (${live} live, ${stats.webinars.size - live} auto); ${types}; ${faults}` +
    (stats.closedEarly ? '; the reader closed the stream early' : '')
  );
}

function integer(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

export async function simulateCommand(args: readonly string[], out: Output): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      webinars: { type: 'string' },
      leads: { type: 'string' },
      seed: { type: 'string' },
      faults: { type: 'string' },
      start: { type: 'string' },
      events: { type: 'string' },
      out: { type: 'string' },
      'forms-catalog': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values['help']) {
    out.stdout(simulateHelp);
    return EXIT.ok;
  }
  if (values['forms-catalog']) {
    out.stdout(JSON.stringify(SIMULATED_FORMS, null, 2));
    return EXIT.ok;
  }
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const events = integer('events', str('events'), 1, Number.MAX_SAFE_INTEGER);
  const webinars =
    integer('webinars', str('webinars'), 1, 1_000_000) ??
    (events === undefined ? SIMULATE_DEFAULTS.webinars : Infinity);
  const leads = integer('leads', str('leads'), 1, MAX_LEADS);
  const faultsText = str('faults');
  const faults = faultsText === undefined ? undefined : Number(faultsText);
  if (faults !== undefined && (faultsText!.trim() === '' || !(faults >= 0 && faults <= 1))) {
    throw new UsageError(`--faults must be a number from 0 to 1, not "${faultsText}"`);
  }
  const start = str('start');
  if (start !== undefined && (!isRfc3339Instant(start) || Number.isNaN(Date.parse(start)))) {
    throw new UsageError(`--start must be an RFC 3339 instant such as 2026-11-26T10:00:00Z, not "${start}"`);
  }
  const seed = str('seed');
  if (seed === '') throw new UsageError('--seed must not be empty');
  const options: SimulateOptions = { webinars, leads, faults, start, seed };

  const file = str('out');
  const stream: Writable = file === undefined ? process.stdout : createWriteStream(file);
  const progress = new Progress(
    'simulate',
    process.stderr.isTTY === true && (file !== undefined || process.stdout.isTTY !== true),
  );
  const began = Date.now();
  let stats: SimulationStats;
  try {
    stats = await writeSimulation(options, stream, {
      limit: events,
      onProgress: (lines) => progress.update(lines),
    });
  } finally {
    progress.done();
    if (file !== undefined) await closeFile(stream);
  }
  out.stderr(summaryLine(stats, (Date.now() - began) / 1000, file ?? 'stdout'));
  return EXIT.ok;
}

/** Ends a file stream and waits until its bytes are written (or it failed: then throws). */
function closeFile(stream: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.destroyed) {
      resolve();
      return;
    }
    stream.once('error', reject);
    stream.end(() => resolve());
  });
}
