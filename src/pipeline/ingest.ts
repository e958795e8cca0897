import {
  intakeKeys,
  judgeEvent,
  parseJson,
  planIntake,
  type FormsCatalog,
  type JudgedInput,
  type Verdict,
} from '../intake/index.js';
import type { DerivedEvent, LogEvent } from '../contract/index.js';
import type { PlannedAppend } from '../intake/index.js';
import type { EventStore } from '../store/port.js';
import { PROCESSOR_BATCH, classifyPending } from './classifier-processor.js';
import { systemClock, type Clock } from './clock.js';
import type { RecentLog } from './recent-log.js';
import { routePending } from './router-processor.js';

export interface IngestOptions {
  readonly forms: FormsCatalog;
  /** Where the inputs came from, kept with each rejection (`http`, `ingest:<file>`, …). */
  readonly origin: string;
  readonly clock?: Clock;
  /**
   * Embedded runtime: run the classifier and router inside the intake transaction, so a batch and what it
   * derives cost one commit. Their checkpoints move in the same transaction, as when they run alone.
   */
  readonly inlineProcessors?: boolean;
  readonly onDerived?: (events: readonly DerivedEvent[]) => void;
  /** Gets the accepted events once committed, for this process's processors (when they are not inline). */
  readonly recent?: RecentLog | undefined;
}

function logEventOf(append: PlannedAppend): LogEvent {
  const { event } = append;
  return {
    position: append.position,
    source: event.source,
    id: event.id,
    type: event.type,
    data: event.data as Record<string, unknown>,
    sessionid: event.sessionid,
  };
}

/**
 * Up to this many characters an input's own JSON text is what gets stored for an accepted event (saving its
 * serialization); a longer text is stored serialized instead. The text keeps any whitespace between tokens, so
 * without this bound a padded event could store as much as the body limit allows, where the contract bounds the
 * serialized envelope at tens of kilobytes, and every reader of the log pages by count, not bytes.
 */
export const STORED_TEXT_MAX_CHARS = 16 * 1024;

/** The input's text as it may be stored for the event (JudgedInput.text), or undefined to serialize the value. */
function storableText(text: string): string | undefined {
  return text.length <= STORED_TEXT_MAX_CHARS ? text.trim() : undefined;
}

/** Judges one JSON text (an NDJSON line, a request body holding one event). */
export function judgeText(text: string): JudgedInput {
  const parsed = parseJson(text);
  if (!parsed.ok)
    return { raw: text, rawEncoding: 'utf8', judgement: { ok: false, id: null, errors: [parsed.issue] } };
  return { raw: text, rawEncoding: 'utf8', judgement: judgeEvent(parsed.value), text: storableText(text) };
}

/**
 * Judges one already-parsed value (an element of a batch). Its raw form, needed only if it is rejected, is `raw`
 * (or what `raw()` returns, computed on first use), else its JSON text.
 */
export function judgeValue(value: unknown, raw?: string | (() => string | undefined)): JudgedInput {
  const judgement = judgeEvent(value);
  if (typeof raw === 'string') return { raw, rawEncoding: 'utf8', judgement, text: storableText(raw) };
  let text: string | undefined;
  return {
    get raw(): string {
      text ??= raw?.() ?? jsonText(value);
      return text;
    },
    rawEncoding: 'utf8',
    judgement,
  };
}

/**
 * JSON.stringify of a parsed value, also when it is nested deeper than JSON.stringify's recursion allows (JSON.parse
 * takes any depth, so a batch element can be; it is rejected, and its raw text still goes to the quarantine).
 */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
  }
  const out: string[] = [];
  // An explicit stack of values to write and literal text, instead of recursion.
  const stack: Array<{ value: unknown } | string> = [{ value }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (typeof item === 'string') {
      out.push(item);
      continue;
    }
    const v = item.value;
    if (v === null || typeof v !== 'object') {
      out.push(JSON.stringify(v) ?? 'null');
    } else if (Array.isArray(v)) {
      out.push('[');
      stack.push(']');
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ value: v[i] });
        if (i > 0) stack.push(',');
      }
    } else {
      out.push('{');
      stack.push('}');
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      for (let i = entries.length - 1; i >= 0; i--) {
        stack.push({ value: entries[i]![1] });
        stack.push(`${i > 0 ? ',' : ''}${JSON.stringify(entries[i]![0])}:`);
      }
    }
  }
  return out.join('');
}

/** An input that could not be read at all (not UTF-8, too large): rejected before judging, kept raw. */
export function unreadableInput(raw: string, rawEncoding: 'utf8' | 'base64', verdict: Verdict): JudgedInput {
  const errors = verdict.status === 'rejected' ? verdict.errors : [];
  return { raw, rawEncoding, judgement: { ok: false, id: null, errors } };
}

/**
 * The intake pipeline: one transaction per batch (group commit). The stateless judging happened before;
 * here the rules run against the stored state, accepted events are appended and rejections quarantined.
 * Verdicts are returned only after the commit.
 */
export async function ingestBatch(
  store: EventStore,
  inputs: readonly JudgedInput[],
  options: IngestOptions,
): Promise<Verdict[]> {
  if (inputs.length === 0) return [];
  const keys = intakeKeys(inputs);
  const clock = options.clock ?? systemClock;
  let derived: DerivedEvent[] = [];
  let appended: readonly PlannedAppend[] = [];
  const verdicts = await store.transaction('intake', async (tx) => {
    const state = await tx.loadIntakeState(keys);
    const plan = planIntake(state, inputs, options.forms, (await tx.head()) + 1);
    const at = clock();
    if (plan.appends.length > 0) await tx.appendClientEvents(plan.appends, at);
    appended = plan.appends;
    if (plan.rejections.length > 0) await tx.quarantine(plan.rejections, options.origin, at);
    if (options.inlineProcessors && plan.appends.length > 0) {
      const first = plan.appends[0]!.position;
      const clientLast = plan.appends[plan.appends.length - 1]!.position;
      const fresh = { first, last: clientLast, events: plan.appends.map(logEventOf) };
      const classified = await classifyPending(tx, PROCESSOR_BATCH, at, fresh);
      const routed = await routePending(tx, PROCESSOR_BATCH, at, {
        first,
        last: classified.appended?.last ?? clientLast,
        events: classified.appended?.events ?? [],
      });
      if (classified.derived.length + routed.derived.length > 0) {
        derived = [...classified.derived, ...routed.derived];
      }
    }
    return plan.verdicts;
  });
  if (options.recent !== undefined && appended.length > 0) options.recent.add(appended.map(logEventOf));
  if (derived.length > 0) options.onDerived?.(derived);
  return verdicts;
}
