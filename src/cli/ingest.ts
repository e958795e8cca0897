import { resolve } from 'node:path';
import { STORE_FLAGS, STORE_FLAGS_HELP, openRuntime, resolveConfig } from '../config.js';
import type { JudgedInput } from '../intake/index.js';
import { judgeText, unreadableInput } from '../pipeline/index.js';
import { isSqliteBusy } from '../store/sqlite/sqlite-store.js';
import { assertReadableFile } from './readable-file.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
import { Interruption } from './interruption.js';
import { unreadableLineVerdict } from './input-verdicts.js';
import { ndjsonLines, openInput } from './ndjson-lines.js';
import type { Output } from './output.js';
import { Progress } from './progress.js';
import { VerdictSummary, verdictLine } from './verdict-summary.js';

export const ingestHelp = `Usage: webinar-events ingest <file.ndjson|-> [--json] [--batch N] [store options]

Takes every line of an NDJSON file (or stdin with -) through the same pipeline as the server: contract,
emission rules, durable append (one transaction per batch), classifier and router. Rejected lines are
quarantined. Prints a summary (or with --json one line per input line, with positions).

Options:
  --json             {"line":N,"id":…,"status":…,"position"?,"errors"?,"warnings"?} per line
  --batch N          lines per transaction (default 1000, at most 10000; also cut at 32 MiB of input)
${STORE_FLAGS_HELP}

Ctrl-C (SIGINT) or SIGTERM: the lines read so far are committed and reported, then it stops with the summary
so far (exit 130); running the same file again takes the rest. A second signal stops at once.

Exit codes: 0 all accepted or duplicate, 3 some rejected, 2 usage, 1 failure, 130 interrupted.`;

/**
 * A batch is also cut at this many bytes of input: lines may be up to 1 MiB each (and an oversized one keeps a
 * 1 MiB prefix), so --batch lines alone would not bound the memory a batch holds.
 */
const BATCH_BYTES_MAX = 32 * 1024 * 1024;

/** The store refused a batch: nothing of it is committed, everything before it is. */
class BatchNotCommitted extends Error {
  constructor(override readonly cause: unknown) {
    super((cause as Error).message);
  }
}

export async function ingestCommand(args: readonly string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...STORE_FLAGS,
    json: { type: 'boolean' },
    batch: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    out.stdout(ingestHelp);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('ingest takes one file (or - for stdin)');
  const batchSize = Number(values['batch'] ?? 1000);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10000) {
    throw new UsageError('--batch must be an integer from 1 to 10000');
  }
  const source = positionals[0]!;
  // Before the store is opened (and created): a missing or unreadable input changes nothing.
  if (source !== '-') assertReadableFile(source);
  const runtime = await openRuntime(resolveConfig(values), (error) =>
    out.stderr(`processor run failed (retrying): ${(error as Error).message}`),
  );
  const json = values['json'] === true;
  const summary = new VerdictSummary();
  const progress = new Progress('ingest');
  // The absolute path: two funnel.ndjson of different directories are told apart in the quarantine.
  const origin = `ingest:${source === '-' ? 'stdin' : resolve(source)}`;
  let lines: number[] = [];
  let inputs: JudgedInput[] = [];
  let pendingBytes = 0;
  /** The last line read, and the last line of the last committed batch (blank lines keep their numbers). */
  let lastLine = 0;
  let committedThrough = 0;
  const flush = async (): Promise<void> => {
    if (inputs.length === 0) return;
    const verdicts = await runtime.ingest(inputs, origin).catch((error: unknown) => {
      throw new BatchNotCommitted(error);
    });
    verdicts.forEach((verdict, i) => {
      summary.add(lines[i]!, verdict);
      if (json) out.stdout(verdictLine(lines[i]!, verdict));
    });
    committedThrough = lastLine;
    lines = [];
    inputs = [];
    pendingBytes = 0;
    progress.update(summary.total);
  };
  // Interrupted (Ctrl-C, SIGTERM, the reader of --json gone): the batch being read is still committed and
  // reported, then the command stops with the summary so far. A second signal stops at once. Everything before
  // was committed; running the same file again is safe (stored events come back as duplicates).
  const interruption = new Interruption((why) =>
    out.stderr(`ingest: ${why}: committing the lines read so far, then stopping (again to stop at once)`),
  );
  out.onReaderGone?.(() => interruption.interrupt('the reader of stdout went away'));
  /** Stopped early: the summary so far, and which lines are committed (all those with a verdict). */
  const stoppedEarly = (why: string): void => {
    // With --json, stdout holds only the verdict lines: the summary goes to stderr.
    if (json) out.stderr(summary.render('ingest'));
    else out.stdout(summary.render('ingest'));
    out.stderr(
      `ingest: stopped (${why}): ${committedThrough === 0 ? 'nothing is committed' : `lines 1–${committedThrough} are committed (${summary.total} events)`}; ` +
        'run the same file again to take the rest (what is stored comes back as duplicate)',
    );
  };
  try {
    for await (const input of ndjsonLines(openInput(source))) {
      lastLine = input.line;
      lines.push(input.line);
      inputs.push(
        input.kind === 'text'
          ? judgeText(input.text)
          : // Kept as read, base64 (not UTF-8, or cut at MAX_LINE_BYTES possibly inside a character), as HTTP keeps
            // a body that is not UTF-8.
            unreadableInput(input.raw.toString('base64'), 'base64', unreadableLineVerdict(input)),
      );
      pendingBytes += input.bytes;
      if (inputs.length >= batchSize || pendingBytes >= BATCH_BYTES_MAX) await flush();
      if (interruption.reason !== null) break;
    }
    await flush();
    progress.done();
    if (interruption.reason !== null) {
      stoppedEarly(interruption.reason);
      return EXIT.interrupted;
    }
    await runtime.processors?.drain();
    if (!json) {
      out.stdout(summary.render('ingest'));
      const head = await runtime.store.head();
      out.stdout(
        `log head: position ${head}; store: ${runtime.config.postgres !== undefined ? 'postgres' : `sqlite ${runtime.config.db}`}`,
      );
    }
  } catch (error) {
    // The store refused a batch (another process held the lock past the timeout, a full disk).
    if (!(error instanceof BatchNotCommitted)) throw error;
    progress.done();
    const hint = isSqliteBusy(error.cause)
      ? ' (another process held the database write lock for longer than 5 s)'
      : '';
    stoppedEarly(`the store failed: ${error.message}${hint}`);
    return EXIT.failure;
  } finally {
    interruption.release();
    await runtime.close();
  }
  return summary.counts.rejected > 0 ? EXIT.rejected : EXIT.ok;
}
