/**
 * What the bench prints: one JSON line per figure on stdout, and a table on a terminal at the end.
 */

/** One figure. `bench`, `events`, `seconds`, `events_per_s` come first; the rest depends on the row. */
export type Row = { bench: string } & Record<string, unknown>;

/**
 * One row for several runs of the same figure: the median run by events/s (the lower of the two middle ones for
 * an even count), with the number of runs and every run's rate in the order they ran.
 */
export function medianRun(runs: readonly Row[]): Row {
  if (runs.length === 0) throw new Error('no runs');
  const rate = (row: Row): number => row['events_per_s'] as number;
  const sorted = [...runs].sort((a, b) => rate(a) - rate(b));
  return {
    ...sorted[Math.floor((sorted.length - 1) / 2)]!,
    rounds: runs.length,
    runs_events_per_s: runs.map(rate),
  };
}

/** One target of a row: what it asks, the value it is judged on, and whether it is met. */
export interface Target {
  readonly target: string;
  readonly value: number | null;
  readonly met: boolean | null;
}

export function atLeast(label: string, value: number | undefined, min: number, unit = ''): Target {
  const known = value !== undefined && Number.isFinite(value);
  return {
    target: `>=${label}${unit === '' ? '' : ` ${unit}`}`,
    value: known ? value : null,
    met: known ? value >= min : null,
  };
}

export function atMost(label: string, value: number | undefined, max: number, unit = ''): Target {
  const known = value !== undefined && Number.isFinite(value);
  return {
    target: `<=${label}${unit === '' ? '' : ` ${unit}`}`,
    value: known ? value : null,
    met: known ? value <= max : null,
  };
}

/**
 * Adds `target` (all targets, joined), `met` (false when one is missed, else null when one could not be judged,
 * else true) and, when there are several, `targets`.
 */
export function withTargets(row: Row, targets: readonly Target[]): Row {
  if (targets.length === 0) return row;
  const missed = targets.some((t) => t.met === false);
  const unknown = targets.some((t) => t.met === null);
  return {
    ...row,
    target: targets.map((t) => t.target).join(' and '),
    met: missed ? false : unknown ? null : true,
    ...(targets.length > 1 ? { targets } : {}),
  };
}

export class Reporter {
  readonly rows: Row[] = [];

  emit(row: Row): Row {
    this.rows.push(row);
    process.stdout.write(`${JSON.stringify(row)}\n`);
    return row;
  }

  find(name: string): Row | undefined {
    return this.rows.find((r) => r.bench === name && r['error'] === undefined && r['skipped'] !== true);
  }

  /** The table, for a person: on stderr if it is a terminal, else on stdout if that is one, else nowhere. */
  printTable(): void {
    const out = process.stderr.isTTY ? process.stderr : process.stdout.isTTY ? process.stdout : undefined;
    if (out === undefined) return;
    out.write(`\n${renderTable(this.rows)}\n`);
  }
}

const num = (value: unknown, digits = 0): string =>
  typeof value === 'number' && Number.isFinite(value)
    ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : '';

export function renderTable(rows: readonly Row[]): string {
  const header = [
    'bench',
    'events',
    'seconds',
    'events/s',
    'p50 ms',
    'p99 ms',
    'RSS MB',
    'vs base',
    'target',
    'met',
  ];
  const body: string[][] = [];
  for (const row of rows) {
    if (row.bench === 'machine' || row.bench === 'summary') continue;
    if (row['skipped'] === true || row['error'] !== undefined) {
      body.push([
        row.bench,
        `${row['skipped'] === true ? 'skipped' : 'FAILED'}: ${String(row['reason'] ?? row['error'])}`,
      ]);
      continue;
    }
    const targets = row['targets'] as Target[] | undefined;
    const mark = (m: unknown): string => (m === true ? 'yes' : m === false ? 'NO' : m === null ? '?' : '');
    const met = targets === undefined ? mark(row['met']) : targets.map((t) => mark(t.met)).join(', ');
    body.push([
      row.bench,
      num(row['events']),
      num(row['seconds'], 2),
      num(row['events_per_s']),
      num(row['p50_ms'], 2),
      num(row['p99_ms'], 2),
      num(row['peak_rss_mb']),
      num(row['vs_baseline'], 2),
      typeof row['target'] === 'string' ? row['target'] : '',
      met,
    ]);
  }
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.filter((r) => i === 0 || r.length > 2).map((r) => (r[i] ?? '').length)),
  );
  const right = new Set([1, 2, 3, 4, 5, 6, 7]);
  const line = (cells: string[]): string => {
    if (cells.length === 2) return `${cells[0]!.padEnd(widths[0]!)}  ${cells[1]}`;
    return cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  };
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
