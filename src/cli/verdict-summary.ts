import type { Verdict } from '../intake/index.js';

/** Counts per verdict and per code, and the first errors with line numbers: the readable end of a run. */
export class VerdictSummary {
  readonly counts = { accepted: 0, duplicate: 0, rejected: 0 };
  readonly errorCodes = new Map<string, number>();
  readonly warningCodes = new Map<string, number>();
  readonly firstErrors: string[] = [];

  constructor(private readonly keepErrors = 10) {}

  add(line: number, verdict: Verdict): void {
    this.counts[verdict.status]++;
    if (verdict.status === 'rejected') {
      for (const error of verdict.errors) {
        this.errorCodes.set(error.code, (this.errorCodes.get(error.code) ?? 0) + 1);
        if (this.firstErrors.length < this.keepErrors) {
          this.firstErrors.push(
            `  line ${line}: ${error.code} at ${error.path || '(event)'}: ${error.message}`,
          );
        }
      }
    } else if (verdict.status === 'accepted') {
      for (const warning of verdict.warnings) {
        this.warningCodes.set(warning.code, (this.warningCodes.get(warning.code) ?? 0) + 1);
      }
    }
  }

  get total(): number {
    return this.counts.accepted + this.counts.duplicate + this.counts.rejected;
  }

  render(title: string): string {
    const out: string[] = [];
    const { accepted, duplicate, rejected } = this.counts;
    out.push(
      `${title}: ${this.total} ${this.total === 1 ? 'event' : 'events'}: ${accepted} accepted, ${duplicate} duplicate, ${rejected} rejected`,
    );
    const table = (name: string, codes: Map<string, number>): void => {
      if (codes.size === 0) return;
      out.push(`${name}:`);
      for (const [code, n] of [...codes].sort((a, b) => b[1] - a[1])) out.push(`  ${code.padEnd(24)} ${n}`);
    };
    table('errors by code', this.errorCodes);
    table('warnings by code', this.warningCodes);
    if (this.firstErrors.length > 0) {
      out.push(`first errors:`);
      out.push(...this.firstErrors);
    }
    return out.join('\n');
  }
}

/** One `--json` output line (SPEC §7). */
export function verdictLine(line: number, verdict: Verdict): string {
  const out: Record<string, unknown> = { line, id: verdict.id, status: verdict.status };
  if (verdict.status !== 'rejected' && verdict.position !== null) out['position'] = verdict.position;
  if (verdict.status === 'rejected') out['errors'] = verdict.errors;
  if (verdict.status === 'accepted' && verdict.warnings.length > 0) out['warnings'] = verdict.warnings;
  return JSON.stringify(out);
}
