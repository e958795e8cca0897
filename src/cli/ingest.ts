import { STORE_FLAGS, STORE_FLAGS_HELP, openRuntime, resolveConfig } from '../config.js';
import type { JudgedInput } from '../intake/index.js';
import { judgeText, unreadableInput } from '../pipeline/index.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
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

Exit codes: 0 all accepted or duplicate, 3 some rejected, 2 usage, 1 failure.`;

/**
 * A batch is also cut at this many bytes of input: lines may be up to 1 MiB each (and an oversized one keeps a
 * 1 MiB prefix), so --batch lines alone would not bound the memory a batch holds.
 */
const BATCH_BYTES_MAX = 32 * 1024 * 1024;

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
  const runtime = await openRuntime(resolveConfig(values), (error) =>
    out.stderr(`processor run failed (retrying): ${(error as Error).message}`),
  );
  const json = values['json'] === true;
  const summary = new VerdictSummary();
  const progress = new Progress('ingest');
  const origin = `ingest:${source === '-' ? 'stdin' : source}`;
  let lines: number[] = [];
  let inputs: JudgedInput[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    if (inputs.length === 0) return;
    const verdicts = await runtime.ingest(inputs, origin);
    verdicts.forEach((verdict, i) => {
      summary.add(lines[i]!, verdict);
      if (json) out.stdout(verdictLine(lines[i]!, verdict));
    });
    lines = [];
    inputs = [];
    pendingBytes = 0;
    progress.update(summary.total);
  };
  try {
    for await (const input of ndjsonLines(openInput(source))) {
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
    }
    await flush();
    progress.done();
    await runtime.processors?.drain();
    if (!json) {
      out.stdout(summary.render('ingest'));
      const head = await runtime.store.head();
      out.stdout(
        `log head: position ${head}; store: ${runtime.store.kind} ${runtime.config.postgres ? '' : runtime.config.db}`,
      );
    }
  } finally {
    await runtime.close();
  }
  return summary.counts.rejected > 0 ? EXIT.rejected : EXIT.ok;
}
