/**
 * validate-raw, validate and validate-dry-run: in-process, over the same pre-parsed events. Passes of validate-raw
 * and validate are interleaved (raw, validate, raw, …) so that both see the same machine, after one untimed pass
 * of each to warm the JIT, until both have run for at least `minSeconds`; validate-dry-run then runs on its own.
 */
import type { EventType } from '../src/contract/events.js';
import { compiledPayloadValidators } from '../src/contract/payload-validator.js';
import { judgeEvent } from '../src/intake/envelope.js';
import { DryRunIntake } from '../src/intake/dry-run.js';
import type { FormsCatalog } from '../src/intake/forms-catalog.js';
import type { Row } from './report.js';
import { now, round } from './util.js';

export interface ValidateOptions {
  readonly minSeconds: number;
  readonly maxPasses: number;
  readonly forms: FormsCatalog;
  /** Also run validate-dry-run. */
  readonly dryRun: boolean;
}

interface Pass {
  readonly ok: number;
  readonly ms: number;
}

export async function benchValidate(
  events: readonly Record<string, unknown>[],
  options: ValidateOptions,
): Promise<{ raw: Row; validate: Row; dryRun: Row | null }> {
  const validators = compiledPayloadValidators();

  const rawPass = (): Pass => {
    let ok = 0;
    const start = now();
    for (const event of events) {
      if (validators[event['type'] as EventType](event['data'])) ok++;
    }
    return { ok, ms: now() - start };
  };
  const validatePass = (): Pass => {
    let ok = 0;
    const start = now();
    for (const event of events) {
      if (judgeEvent(event).ok) ok++;
    }
    return { ok, ms: now() - start };
  };
  // The stateless checks plus the emission rules against an in-memory state that starts empty (what the
  // `validate` command runs): an extra row, for scale.
  const dryRunPass = (): Pass => {
    let ok = 0;
    const start = now();
    const intake = new DryRunIntake(options.forms);
    for (const event of events) {
      if (intake.judgeValue(event).status === 'accepted') ok++;
    }
    return { ok, ms: now() - start };
  };

  const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const enough = (ms: number): boolean => ms >= options.minSeconds * 1000;
  const add = (total: { ok: number; ms: number }, pass: Pass): void => {
    total.ok += pass.ok;
    total.ms += pass.ms;
  };

  // The baseline and the figure judged against it: interleaved, after one untimed pass of each.
  rawPass();
  validatePass();
  const raw = { ok: 0, ms: 0 };
  const validate = { ok: 0, ms: 0 };
  let passes = 0;
  while (passes < options.maxPasses && !(enough(raw.ms) && enough(validate.ms))) {
    add(raw, rawPass());
    add(validate, validatePass());
    passes++;
    await yieldToLoop();
  }
  // The dry run is an order of magnitude slower: passes of its own.
  const dryRun = { ok: 0, ms: 0 };
  let dryRunPasses = 0;
  if (options.dryRun) dryRunPass();
  while (options.dryRun && dryRunPasses < options.maxPasses && !enough(dryRun.ms)) {
    add(dryRun, dryRunPass());
    dryRunPasses++;
    await yieldToLoop();
  }

  const row = (bench: string, total: { ok: number; ms: number }, passes: number, what: string): Row => {
    const count = events.length * passes;
    return {
      bench,
      events: count,
      seconds: round(total.ms / 1000, 3),
      events_per_s: Math.round(count / (total.ms / 1000)),
      us_per_event: round((total.ms * 1000) / count, 3),
      distinct_events: events.length,
      passes,
      valid: total.ok,
      what,
    };
  };
  return {
    raw: row(
      'validate-raw',
      raw,
      passes,
      'the payload validators alone (Ajv standalone code), validators[type](data)',
    ),
    validate: row(
      'validate',
      validate,
      passes,
      'judgeEvent: envelope + payload validation and error reporting',
    ),
    dryRun: options.dryRun
      ? row('validate-dry-run', dryRun, dryRunPasses, 'DryRunIntake: judgeEvent + emission rules in memory')
      : null,
  };
}
