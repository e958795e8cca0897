/** Streams of events judged by a fresh dry run (the whole intake pipeline), shared by the rule tests. */
import assert from 'node:assert/strict';
import { DryRunIntake } from '../../src/intake/dry-run.js';
import type { Verdict } from '../../src/intake/verdict.js';
import type { ErrorCode, WarningCode } from '../../src/contract/codes.js';
import type { ClientEventType } from '../../src/contract/events.js';
import { cloudEvent, payload } from './examples.js';

/** An event of `type` built from the valid example with `changes` to data and `extra` attributes. */
export const event = (
  type: ClientEventType,
  changes: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> => cloudEvent(type, payload(type, changes), extra);

export const registered = (changes: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  event('client_webinar_registered', changes, extra);
export const entered = (changes: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  event('client_webinar_entered', changes, extra);
export const left = (changes: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  event('client_webinar_left', changes, extra);
export const completed = (changes: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  event('client_webinar_completed', changes, extra);
export const formSubmitted = (changes: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) =>
  event('client_webinar_form_submitted', changes, extra);

/** Judges `events` in order in a fresh dry run; returns every verdict. */
export function judgeAll(events: readonly unknown[], intake = new DryRunIntake()): Verdict[] {
  return events.map((e) => intake.judgeValue(e));
}

/** The last verdict of the stream, after asserting every earlier one was accepted. */
export function last(events: readonly unknown[], intake = new DryRunIntake()): Verdict {
  const verdicts = judgeAll(events, intake);
  verdicts
    .slice(0, -1)
    .forEach((v, i) => assert.equal(v.status, 'accepted', `event ${i}: ${JSON.stringify(v)}`));
  return verdicts.at(-1)!;
}

export const errors = (v: Verdict): Array<{ code: ErrorCode; path: string }> =>
  v.status === 'rejected' ? v.errors.map(({ code, path }) => ({ code, path })) : [];
export const warnings = (v: Verdict): WarningCode[] =>
  v.status === 'accepted' ? v.warnings.map((w) => w.code) : [];

export function rejected(v: Verdict, code: ErrorCode, path: string): void {
  assert.equal(v.status, 'rejected', JSON.stringify(v));
  assert.deepEqual(errors(v), [{ code, path }]);
}

export function acceptedWith(v: Verdict, expected: readonly WarningCode[]): void {
  assert.equal(v.status, 'accepted', JSON.stringify(v));
  assert.deepEqual(warnings(v).toSorted(), [...expected].toSorted());
}
