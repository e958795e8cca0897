import { STORE_FLAGS, STORE_FLAGS_HELP, openRuntime, resolveConfig } from '../config.js';
import type { RejectionRecord } from '../store/port.js';
import { parseRejectionFilter } from '../store/rejection-filter.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
import { assertExistingStore } from './existing-store.js';
import type { Output } from './output.js';
import { Progress } from './progress.js';

export const rejectionsHelp = `Usage: webinar-events rejections [--inputs] [--code LIST] [--origin PREFIX] [--after SEQ] [store options]

The quarantine, oldest first: every rejected input as it was sent, with its errors. By default one JSON line
per rejection, as GET /v1/rejections gives them ({seq, received_at, origin, id, raw, raw_encoding, errors}).

--inputs prints the rejected inputs themselves instead, one JSON text per line: NDJSON that 'ingest' takes
again once what rejected them is fixed (a form marked re-submittable in the catalog, a producer's bug
corrected in the file). Inputs that cannot be one line of JSON (bytes that were not UTF-8, text that is not
JSON) are left out and counted on stderr. Re-ingesting is safe: accepted events are duplicates, rejected ones
are quarantined again.

Options:
  --inputs           only the rejected inputs, as NDJSON (see above)
  --code LIST        only rejections with one of these error codes (comma-separated: FORM_ALREADY_SUBMITTED,…)
  --origin PREFIX    only rejections whose origin starts with this (http, ingest:/path/to/file, …)
  --after SEQ        only rejections after this seq (where an earlier export ended)
${STORE_FLAGS_HELP}

A summary goes to stderr: how many were read, written and left out, and the last seq examined (for --after:
with a filter, the newest rejection examined, so the next export does not scan those that did not match).`;

const PAGE = 1000;

/** The input as one line of JSON, or why it cannot be. */
export function inputLine(r: RejectionRecord): { line: string } | { leftOut: 'not UTF-8' | 'not JSON' } {
  if (r.raw_encoding !== 'utf8') return { leftOut: 'not UTF-8' };
  try {
    JSON.parse(r.raw);
  } catch {
    return { leftOut: 'not JSON' };
  }
  // JSON text has line breaks only between tokens (never raw inside a string): as spaces, the value is the same,
  // and every other byte is kept as it was sent.
  return { line: r.raw.replace(/[\r\n]/g, ' ') };
}

export async function rejectionsCommand(args: readonly string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...STORE_FLAGS,
    inputs: { type: 'boolean' },
    code: { type: 'string' },
    origin: { type: 'string' },
    after: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    out.stdout(rejectionsHelp);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError('rejections takes no arguments');
  const afterText = (values['after'] as string | undefined) ?? '0';
  const after = Number(afterText);
  if (!/^\d{1,16}$/.test(afterText) || !Number.isSafeInteger(after))
    throw new UsageError('--after must be a seq (an integer ≥ 0)');
  const parsed = parseRejectionFilter(
    values['code'] as string | undefined,
    values['origin'] as string | undefined,
  );
  if ('problem' in parsed) throw new UsageError(`--${parsed.problem}`);
  const { filter } = parsed;
  const filtered = filter.codes !== undefined || filter.originPrefix !== undefined;
  const inputs = values['inputs'] === true;
  const config = resolveConfig(values);
  assertExistingStore(config);
  // Reads only: no bus, no processors.
  const runtime = await openRuntime({ ...config, nats: undefined, processors: false });
  const progress = new Progress('rejections');
  let readerGone = false;
  out.onReaderGone?.(() => (readerGone = true));
  // Every rejection up to this seq is examined once the scan ends (seqs are taken in commit order): a filtered
  // export continues from here, not from its last match, and does not scan the non-matching ones again.
  const examinedThrough = await runtime.store.rejectionsHead().catch(async (error: unknown) => {
    await runtime.close();
    throw error;
  });
  let cursor = after;
  let read = 0;
  let written = 0;
  const leftOut = new Map<string, number>();
  try {
    while (!readerGone) {
      // The store filters (the same filter as GET /v1/rejections?code=&origin=).
      const page = await runtime.store.readRejections(cursor, PAGE, undefined, filter);
      if (page.length === 0) {
        cursor = Math.max(cursor, examinedThrough);
        break;
      }
      for (const r of page) {
        cursor = r.seq;
        read++;
        if (!inputs) {
          out.stdout(JSON.stringify(r));
          written++;
          continue;
        }
        const one = inputLine(r);
        if ('line' in one) {
          out.stdout(one.line);
          written++;
        } else {
          leftOut.set(one.leftOut, (leftOut.get(one.leftOut) ?? 0) + 1);
        }
      }
      progress.update(read);
    }
  } finally {
    progress.done();
    await runtime.close();
  }
  if (readerGone) {
    // What was written last may not have reached the reader: no position to continue from is claimed.
    out.stderr(`rejections: the reader of stdout went away after ${read} read; stopped`);
    return EXIT.interrupted;
  }
  const left = [...leftOut].map(([why, n]) => `${n} ${why}`).join(', ');
  out.stderr(
    `rejections: ${read} ${filtered ? 'matching' : 'read'}, ${written} written${left === '' ? '' : `, left out: ${left}`}; last seq ${cursor}` +
      (cursor > after ? ` (continue with --after ${cursor})` : ''),
  );
  return EXIT.ok;
}
