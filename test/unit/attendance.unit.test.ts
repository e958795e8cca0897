import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classificationId, evaluateWebinar, evolveAttendance } from '../../src/attendance/classifier.js';
import { AttendanceState } from '../../src/attendance/state.js';
import { CLASSIFIER_SOURCE, type DerivedEvent, type LogEvent } from '../../src/contract/log.js';
import { CLASSIFIED, type ClientEventType } from '../../src/contract/events.js';
import { payloadIssues } from '../../src/contract/payload-validator.js';

const NOW = '2026-11-26T12:00:00Z';
const LATER = '2026-11-27T09:00:00Z';

/** Builds a log of client events in order: positions and ids follow the order of the calls. */
class Log {
  readonly events: LogEvent[] = [];
  private add(type: ClientEventType, data: Record<string, unknown>, sessionid?: string): LogEvent {
    const position = this.events.length + 1;
    const event: LogEvent = { position, source: '/webinar-room', id: `e-${position}`, type, data, sessionid };
    this.events.push(event);
    return event;
  }
  registered(lead: string, webinar = 'W'): LogEvent {
    const data = {
      lead_id: lead,
      webinar_id: webinar,
      webinar_type: 'live',
      registered_at: NOW,
      source: 'page',
    };
    return this.add('client_webinar_registered', data);
  }
  entered(lead: string | undefined, sessionid: string | undefined, webinar = 'W'): LogEvent {
    const data = { ...(lead !== undefined && { lead_id: lead }), webinar_id: webinar, timestamp: NOW };
    return this.add('client_webinar_entered', data, sessionid);
  }
  left(lead: string, session: string, webinar = 'W'): LogEvent {
    const data = { ...this.sessionData(lead, session, webinar), left_at: NOW, leave_reason: 'user_exit' };
    return this.add('client_webinar_left', data);
  }
  completed(lead: string, session: string, webinar = 'W'): LogEvent {
    return this.add('client_webinar_completed', {
      ...this.sessionData(lead, session, webinar),
      completed_at: NOW,
    });
  }
  formSubmitted(lead: string, session: string, webinar = 'W'): LogEvent {
    const data = {
      ...this.sessionData(lead, session, webinar),
      submitted_at: NOW,
      form_id: 'f',
      form_payload: {},
    };
    return this.add('client_webinar_form_submitted', data);
  }
  private sessionData(lead: string, session: string, webinar: string): Record<string, unknown> {
    return { lead_id: lead, webinar_id: webinar, webinar_type: 'live', session_id: session };
  }
}

/** Runs the classifier over the log (from `from`), returning the derived events in order. */
function classify(state: AttendanceState, log: Log, from = 0, now = NOW): DerivedEvent[] {
  return log.events.slice(from).flatMap((e) => evolveAttendance(state, e, now));
}

function evaluate(state: AttendanceState, webinar = 'W', id = 'eval-1', now = LATER): DerivedEvent[] {
  return evaluateWebinar(state, [...state.records.values()], { id, webinar_id: webinar }, now);
}

const verdicts = (events: readonly DerivedEvent[]): Array<[unknown, unknown]> =>
  events.map((e) => [e.data['lead_id'], e.data['attended']]);

describe('SPEC §4 the first completed for a key emits attended=true at once', () => {
  it('completion ⇒ attended=true, caused by the completed event, timestamped now', () => {
    const log = new Log();
    log.registered('L1');
    log.entered('L1', 's1');
    const done = log.completed('L1', 's1');
    const state = new AttendanceState();
    const out = classify(state, log);
    assert.equal(out.length, 1);
    const [c] = out;
    assert.deepEqual(c!.data, { lead_id: 'L1', webinar_id: 'W', attended: true, timestamp: NOW });
    assert.equal(c!.type, CLASSIFIED);
    assert.equal(c!.source, CLASSIFIER_SOURCE);
    assert.equal(c!.causationid, done.id);
    assert.equal(c!.time, NOW);
    assert.equal(c!.specversion, '1.0');
    assert.deepEqual(payloadIssues(CLASSIFIED, c!.data), [], 'a classification matches its own contract');
  });

  it('completion without entry ⇒ true', () => {
    const log = new Log();
    log.completed('L1', 's1');
    assert.deepEqual(verdicts(classify(new AttendanceState(), log)), [['L1', true]]);
  });

  it('a second completion (another session) emits nothing: true is emitted once', () => {
    const log = new Log();
    log.completed('L1', 's1');
    log.completed('L1', 's2');
    assert.deepEqual(verdicts(classify(new AttendanceState(), log)), [['L1', true]]);
  });

  it('left and form_submitted classify nothing; nothing is classified on a timer', () => {
    const log = new Log();
    log.registered('L1');
    log.entered('L1', 's1');
    log.left('L1', 's1');
    log.formSubmitted('L1', 's1');
    assert.deepEqual(classify(new AttendanceState(), log), []);
  });
});

describe('SPEC §4 explicit evaluation: attended=false for an entry without completion', () => {
  it('evaluation ⇒ false for every key with an entry, no completion, no classification, caused by the evaluation', () => {
    const log = new Log();
    log.entered('L2', 's2');
    log.entered('L1', 's1');
    log.left('L1', 's1');
    log.entered('L3', 's3');
    log.completed('L3', 's3');
    const state = new AttendanceState();
    classify(state, log);
    const out = evaluate(state, 'W', 'eval-7');
    assert.deepEqual(verdicts(out), [
      ['L1', false],
      ['L2', false],
    ]);
    for (const c of out) {
      assert.equal(c.causationid, 'eval-7');
      assert.equal(c.data['timestamp'], LATER);
      assert.equal(c.source, CLASSIFIER_SOURCE);
    }
  });

  it('evaluating again emits nothing new', () => {
    const log = new Log();
    log.entered('L1', 's1');
    const state = new AttendanceState();
    classify(state, log);
    assert.equal(evaluate(state).length, 1);
    assert.deepEqual(evaluate(state, 'W', 'eval-2'), []);
  });

  it('a later evaluation classifies only the keys that became due since', () => {
    const log = new Log();
    log.entered('L1', 's1');
    const state = new AttendanceState();
    classify(state, log);
    assert.deepEqual(verdicts(evaluate(state)), [['L1', false]]);
    log.entered('L2', 's2');
    log.entered('L1', 's3');
    classify(state, log, 1);
    assert.deepEqual(verdicts(evaluate(state, 'W', 'eval-2')), [['L2', false]]);
  });

  it('only the evaluated webinar is classified', () => {
    const log = new Log();
    log.entered('L1', 's1', 'W');
    log.entered('L1', 's2', 'W2');
    const state = new AttendanceState();
    classify(state, log);
    assert.deepEqual(
      evaluate(state, 'W2').map((c) => c.data['webinar_id']),
      ['W2'],
    );
    assert.deepEqual(evaluate(state, 'unknown-webinar'), []);
  });

  it('a registration-only lead is not classified by evaluation', () => {
    const log = new Log();
    log.registered('L1');
    const state = new AttendanceState();
    classify(state, log);
    assert.deepEqual(evaluate(state), []);
  });
});

describe('SPEC §4 false → true on a later completion; true is never downgraded', () => {
  it('a key classified false that later completes is re-classified true', () => {
    const log = new Log();
    log.entered('L1', 's1');
    const state = new AttendanceState();
    classify(state, log);
    const [no] = evaluate(state);
    assert.equal(no!.data['attended'], false);
    const done = log.completed('L1', 's1');
    const out = classify(state, log, log.events.length - 1, LATER);
    assert.deepEqual(verdicts(out), [['L1', true]]);
    assert.equal(out[0]!.causationid, done.id);
    assert.notEqual(out[0]!.id, no!.id);
    log.completed('L1', 's2');
    assert.deepEqual(classify(state, log, log.events.length - 1), [], 'a second completion emits nothing');
    assert.deepEqual(evaluate(state, 'W', 'eval-3'), [], 'evaluation after true emits nothing');
  });

  it('evaluation after completion emits nothing', () => {
    const log = new Log();
    log.entered('L1', 's1');
    log.completed('L1', 's1');
    const state = new AttendanceState();
    classify(state, log);
    assert.deepEqual(evaluate(state), []);
  });
});

describe('SPEC §4 an anonymous entry is attributed through its sessionid, else counted as anonymous', () => {
  it('entered without lead_id, then left of the same session with the lead: the lead has the entry', () => {
    const log = new Log();
    log.entered(undefined, 's1');
    const state = new AttendanceState();
    classify(state, log);
    assert.equal(state.webinars.get('W')?.anonymous_entries, 1);
    log.left('L1', 's1');
    classify(state, log, 1);
    assert.equal(state.webinars.get('W')?.anonymous_entries, 0);
    assert.equal(state.record('L1', 'W').entries, 1);
    assert.deepEqual(verdicts(evaluate(state)), [['L1', false]]);
  });

  it('the lead may be known before the anonymous entry arrives', () => {
    const log = new Log();
    log.left('L1', 's1');
    log.entered(undefined, 's1');
    const state = new AttendanceState();
    classify(state, log);
    assert.equal(state.webinars.get('W')?.anonymous_entries ?? 0, 0);
    assert.deepEqual(verdicts(evaluate(state)), [['L1', false]]);
  });

  it('entered without lead_id, then completed of the same session: attended=true for the lead', () => {
    const log = new Log();
    log.entered(undefined, 's1');
    log.completed('L1', 's1');
    const state = new AttendanceState();
    assert.deepEqual(verdicts(classify(state, log)), [['L1', true]]);
    assert.equal(state.webinars.get('W')?.anonymous_entries, 0);
    assert.deepEqual(evaluate(state), []);
  });

  it('without sessionid, or with a session no lead ever names, it stays anonymous: counted, never classified', () => {
    const log = new Log();
    log.entered(undefined, undefined);
    log.entered(undefined, 's-nobody');
    log.left('L1', 's-other');
    const state = new AttendanceState();
    classify(state, log);
    assert.equal(state.webinars.get('W')?.anonymous_entries, 2);
    assert.deepEqual(evaluate(state), [], 'L1 has no entry; the anonymous ones are nobody');
  });
});

describe('SPEC §4 classifications have deterministic ids', () => {
  const scenario = (): DerivedEvent[] => {
    const log = new Log();
    log.entered('L1', 's1');
    log.entered('L2', 's2');
    log.completed('L2', 's2');
    const state = new AttendanceState();
    const out = classify(state, log);
    out.push(...evaluate(state));
    log.completed('L1', 's1');
    out.push(...classify(state, log, log.events.length - 1));
    return out;
  };

  it('the same inputs give the same ids, even at another time and under another evaluation id', () => {
    const a = scenario().map((c) => c.id);
    const b = scenario().map((c) => c.id);
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, a.length);
    const state = new AttendanceState();
    const log = new Log();
    log.entered('L1', 's1');
    classify(state, log, 0, LATER);
    assert.equal(evaluate(state, 'W', 'another-eval', '2030-01-01T00:00:00Z')[0]!.id, a[1]);
  });

  it('ids are distinct for true and false, and per lead and webinar', () => {
    const ids = new Set([
      classificationId('L1', 'W', true),
      classificationId('L1', 'W', false),
      classificationId('L2', 'W', true),
      classificationId('L1', 'W2', true),
    ]);
    assert.equal(ids.size, 4);
    assert.equal(classificationId('L1', 'W', true), classificationId('L1', 'W', true));
    assert.notEqual(classificationId('a', 'bc', true), classificationId('ab', 'c', true));
    assert.match(
      classificationId('L1', 'W', true),
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});
