import { STORE_FLAGS, STORE_FLAGS_HELP, openRuntime, resolveConfig } from '../config.js';
import { attendanceReport, type AttendanceReport } from '../pipeline/index.js';
import { assertExistingStore } from './existing-store.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
import type { Output } from './output.js';

export const reportHelp = `Usage: webinar-events report <webinar_id> [--json] [--limit N] [--after LEAD] [store options]

The attendance report of a webinar: totals (leads registered, entered, completed, attended, not attended,
unclassified; anonymous entries; events carrying each warning code) and a table of leads with their facts,
verdict, route and warnings.
--json prints the same body as GET /v1/webinars/<id>/attendance.

Options:
  --json         the HTTP report body
  --limit N      leads per page (default 100)
  --after LEAD   the page after this lead_id
${STORE_FLAGS_HELP}`;

/** `NO_PRIOR_ENTRY 2, ANONYMOUS_ENTRY 1`: events carrying each warning code. */
const warningText = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');

function table(report: AttendanceReport): string {
  const t = report.totals;
  const lines = [
    `webinar ${report.webinar_id}`,
    `  registered ${t.registered}  entered ${t.entered}  completed ${t.completed}`,
    `  attended ${t.attended}  not attended ${t.not_attended}  unclassified ${t.unclassified}  anonymous entries ${t.anonymous_entries}`,
    `  warnings ${warningText(t.warnings) || 'none'}`,
    '',
  ];
  const header = [
    'lead_id',
    'reg',
    'entries',
    'lefts',
    'completions',
    'forms',
    'verdict',
    'route',
    'warnings',
  ];
  const rows = report.leads.map((l) => [
    l.lead_id,
    l.registered ? 'yes' : 'no',
    String(l.entries),
    String(l.lefts),
    String(l.completions),
    String(l.forms),
    l.attended === null ? '-' : l.attended ? 'attended' : 'not attended',
    l.route ?? '-',
    warningText(l.warnings) || '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  lines.push(fmt(header), ...rows.map(fmt));
  if (report.next !== null) lines.push(`… more leads: --after ${report.next}`);
  return lines.join('\n');
}

export async function reportCommand(args: readonly string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...STORE_FLAGS,
    json: { type: 'boolean' },
    limit: { type: 'string' },
    after: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    out.stdout(reportHelp);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('report takes one webinar_id');
  const limit = Number(values['limit'] ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100000)
    throw new UsageError('--limit must be 1–100000');
  const config = resolveConfig(values);
  assertExistingStore(config);
  // A report reads the store only: no bus, even when NATS_URL is set (NATS down must not stop a report).
  const runtime = await openRuntime({ ...config, nats: undefined });
  try {
    await runtime.processors?.drain();
    const report = await attendanceReport(
      runtime.store,
      positionals[0]!,
      (values['after'] as string) ?? '',
      limit,
    );
    out.stdout(values['json'] ? JSON.stringify(report) : table(report));
  } finally {
    await runtime.close();
  }
  return EXIT.ok;
}
