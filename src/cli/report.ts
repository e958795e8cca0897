import { STORE_FLAGS, STORE_FLAGS_HELP, openRuntime, resolveConfig } from '../config.js';
import { attendanceReport, webinarList, type AttendanceReport, type WebinarList } from '../pipeline/index.js';
import { assertExistingStore } from './existing-store.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
import type { Output } from './output.js';

export const reportHelp = `Usage: webinar-events report [<webinar_id>] [--json] [--limit N] [--after ID] [store options]

The attendance report of a webinar: totals (leads registered, entered, completed, attended, not attended,
unclassified; anonymous entries; events carrying each warning code) and a table of leads with their facts,
verdict, route and warnings. --json prints the same body as GET /v1/webinars/<id>/attendance.

Without a webinar_id: the webinars with leads, each with the same totals and the leads an explicit evaluation
would classify now (awaiting). --json prints the same body as GET /v1/webinars.

Options:
  --json         the HTTP body
  --limit N      leads (or webinars) per page (default 100)
  --after ID     the page after this lead_id (or webinar_id)
${STORE_FLAGS_HELP}`;

/** `NO_PRIOR_ENTRY 2, ANONYMOUS_ENTRY 1`: events carrying each warning code. */
const warningText = (counts: Readonly<Record<string, number>>): string =>
  Object.entries(counts)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');

/** Rows as columns padded to their widest cell. */
function columns(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

function webinarsTable(list: WebinarList): string {
  if (list.webinars.length === 0) return 'no webinars with leads yet';
  const header = [
    'webinar_id',
    'registered',
    'entered',
    'completed',
    'attended',
    'not attended',
    'unclassified',
    'awaiting',
  ];
  const rows = list.webinars.map((w) => [
    w.webinar_id,
    ...[
      w.registered,
      w.entered,
      w.completed,
      w.attended,
      w.not_attended,
      w.unclassified,
      w.awaiting_evaluation,
    ].map(String),
  ]);
  const lines = columns(header, rows);
  if (list.next !== null) lines.push(`… more webinars: --after ${list.next}`);
  return lines.join('\n');
}

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
  lines.push(...columns(header, rows));
  if (report.next !== null) lines.push(`… more leads: --after ${report.next}`);
  if (t.attended + t.not_attended + t.unclassified === 0 && t.anonymous_entries === 0) {
    // A typo looks like an empty webinar otherwise.
    lines.push(
      `(no lead of webinar ${report.webinar_id} is stored: check the id; \`report\` without one lists the webinars)`,
    );
  }
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
  if (positionals.length > 1)
    throw new UsageError('report takes one webinar_id, or none for the list of webinars');
  const limit = Number(values['limit'] ?? 100);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100000)
    throw new UsageError('--limit must be 1–100000');
  const config = resolveConfig(values);
  assertExistingStore(config);
  // A report reads the store only: no bus, even when NATS_URL is set (NATS down must not stop a report).
  const runtime = await openRuntime({ ...config, nats: undefined });
  try {
    await runtime.processors?.drain();
    const after = (values['after'] as string) ?? '';
    if (positionals.length === 0) {
      const list = await webinarList(runtime.store, after, limit);
      out.stdout(values['json'] ? JSON.stringify(list) : webinarsTable(list));
    } else {
      const report = await attendanceReport(runtime.store, positionals[0]!, after, limit);
      out.stdout(values['json'] ? JSON.stringify(report) : table(report));
    }
  } finally {
    await runtime.close();
  }
  return EXIT.ok;
}
