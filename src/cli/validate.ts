import { DryRunIntake } from '../intake/index.js';
import { EXIT, UsageError, parseCommandArgs } from './args.js';
import { loadFormsCatalog } from './forms-option.js';
import { assertReadableFile } from './readable-file.js';
import { unreadableLineVerdict } from './input-verdicts.js';
import { ndjsonLines, openInput } from './ndjson-lines.js';
import { Progress } from './progress.js';
import { VerdictSummary, verdictLine } from './verdict-summary.js';
import type { Output } from './output.js';

export const validateHelp = `Usage: webinar-events validate <file.ndjson|-> [--json] [--forms FILE]

Judges every line of an NDJSON file (or stdin with -) against the contract and the emission rules,
in order, starting from an empty state. Writes nothing.

Options:
  --json          one JSON line per input line:
                  {"line":N,"id":…,"status":"accepted|duplicate|rejected","errors"?,"warnings"?}
  --forms FILE    forms catalog {"forms":{"<form_id>":{"resubmittable":true}}} (env WEBINAR_EVENTS_FORMS)
  -h, --help      this help

Blank lines are skipped but keep their line numbers; a line that is not JSON has "id":null.
Exit codes: 0 all accepted or duplicate, 3 some rejected, 2 usage, 1 failure.`;

export async function validateCommand(args: readonly string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    json: { type: 'boolean' },
    forms: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    out.stdout(validateHelp);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('validate takes one file (or - for stdin)');
  // The same messages as ingest for a missing file or a directory.
  if (positionals[0] !== '-') assertReadableFile(positionals[0]!);
  const intake = new DryRunIntake(loadFormsCatalog(values['forms'] as string | undefined));
  const summary = new VerdictSummary();
  const progress = new Progress('validate');
  const json = values['json'] === true;
  for await (const input of ndjsonLines(openInput(positionals[0]!))) {
    const verdict = input.kind === 'text' ? intake.judgeText(input.text) : unreadableLineVerdict(input);
    summary.add(input.line, verdict);
    if (json) out.stdout(verdictLine(input.line, verdict));
    progress.update(summary.total);
  }
  progress.done();
  if (!json) out.stdout(summary.render('validate'));
  return summary.counts.rejected > 0 ? EXIT.rejected : EXIT.ok;
}
