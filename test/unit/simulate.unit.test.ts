import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Writable } from 'node:stream';
import { UsageError } from '../../src/cli/args.js';
import type { Output } from '../../src/cli/output.js';
import { simulateCommand, writeSimulation } from '../../src/cli/simulate.js';
import { CLIENT_EVENT_TYPES, FACT_TIME_FIELD, type ClientEventType } from '../../src/contract/index.js';
import { DryRunIntake, parseFormsCatalog, type Verdict } from '../../src/intake/index.js';
import {
  INVALID_KINDS,
  SIMULATED_FORMS,
  permute,
  simulate,
  simulatedFormsCatalog,
  type Emitted,
  type SimulateOptions,
  type SimulatedEvent,
} from '../../src/simulate/index.js';

function text(options: SimulateOptions): string {
  let out = '';
  for (const { line } of simulate(options))
    out += `${typeof line === 'string' ? line : JSON.stringify(line)}\n`;
  return out;
}

interface Judged {
  readonly emitted: Emitted;
  readonly verdict: Verdict;
}

/** Every line through a fresh dry-run intake that knows the simulated forms, as `validate --forms` would. */
function judgeAll(options: SimulateOptions): Judged[] {
  const intake = new DryRunIntake(simulatedFormsCatalog());
  const out: Judged[] = [];
  for (const emitted of simulate(options)) {
    const { line } = emitted;
    // Through JSON text, exactly as the line is written.
    const verdict = intake.judgeText(typeof line === 'string' ? line : JSON.stringify(line));
    out.push({ emitted, verdict });
  }
  return out;
}

const events = (judged: readonly Judged[]): SimulatedEvent[] =>
  judged.map((j) => j.emitted.line).filter((l): l is SimulatedEvent => typeof l !== 'string');

function capture(): Output & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l) };
}

describe('simulate: determinism', () => {
  const options = { webinars: 2, leads: 300, faults: 0.1 };

  it('the same seed gives byte-identical output', () => {
    const a = text({ ...options, seed: 'alpha' });
    assert.ok(a.length > 10_000);
    assert.equal(text({ ...options, seed: 'alpha' }), a);
  });

  it('another seed gives another stream, with other webinar ids', () => {
    const a = text({ ...options, seed: 'alpha' });
    const b = text({ ...options, seed: 'beta' });
    assert.notEqual(a, b);
    const webinar = (s: string): string => /"webinar_id":"([^"]+)"/.exec(s)![1]!;
    assert.notEqual(webinar(a), webinar(b));
  });

  it('the faults do not change the stream underneath: the originals are the clean stream', () => {
    const clean = text({ ...options, faults: 0 })
      .trimEnd()
      .split('\n')
      .sort();
    const originals = [...simulate({ ...options, faults: 0.3 })]
      .filter((e) => e.fault === null || e.fault === 'out_of_order')
      .map((e) => JSON.stringify(e.line))
      .sort();
    assert.deepEqual(originals, clean);
  });

  it('the CLI writes the same bytes on every run (--out)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simulate-'));
    try {
      const args = ['--webinars', '2', '--leads', '200', '--seed', 's1', '--faults', '0.2'];
      const first = capture();
      assert.equal(await simulateCommand([...args, '--out', join(dir, 'a.ndjson')], first), 0);
      assert.equal(await simulateCommand([...args, '--out', join(dir, 'b.ndjson')], capture()), 0);
      const a = readFileSync(join(dir, 'a.ndjson'), 'utf8');
      assert.equal(readFileSync(join(dir, 'b.ndjson'), 'utf8'), a);
      assert.equal(a, text({ webinars: 2, leads: 200, seed: 's1', faults: 0.2 }));
      assert.equal(first.out.length, 0);
      assert.equal(first.err.length, 1);
      assert.match(first.err[0]!, /^simulate: [\d,]+ lines to .*registered [\d,]+.*faults: duplicate \d+/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('simulate: a clean stream (--faults 0)', () => {
  const judged = judgeAll({ webinars: 4, leads: 400, seed: 'clean' });
  const evs = events(judged);

  it('every event is accepted by a fresh intake: no rejection, no duplicate', () => {
    const rejected = judged.filter((j) => j.verdict.status === 'rejected');
    assert.deepEqual(rejected.slice(0, 3), []);
    assert.equal(judged.filter((j) => j.verdict.status === 'duplicate').length, 0);
    assert.ok(judged.every((j) => j.emitted.fault === null && typeof j.emitted.line !== 'string'));
  });

  it('events come in causal order: no NO_PRIOR_ENTRY, and NO_PRIOR_REGISTRATION only for walk-ins', () => {
    const registered = new Set(
      evs
        .filter((e) => e.type === 'client_webinar_registered')
        .map((e) => `${e.data['lead_id']}/${e.data['webinar_id']}`),
    );
    const warnings = judged.flatMap((j) =>
      j.verdict.status === 'accepted'
        ? j.verdict.warnings.map((w) => ({ w, line: j.emitted.line as SimulatedEvent }))
        : [],
    );
    assert.ok(warnings.every(({ w }) => w.code !== 'NO_PRIOR_ENTRY'));
    const noRegistration = warnings.filter(({ w }) => w.code === 'NO_PRIOR_REGISTRATION');
    assert.ok(noRegistration.length > 0, 'some walk-ins');
    for (const { line } of noRegistration) {
      assert.ok(!registered.has(`${line.data['lead_id']}/${line.data['webinar_id']}`));
    }
  });

  it('all five client event types, both webinar types, slot ids only on live webinars', () => {
    assert.deepEqual(new Set(evs.map((e) => e.type)), new Set(CLIENT_EVENT_TYPES));
    const types = new Map<string, string>();
    for (const e of evs) {
      const t = e.data['webinar_type'];
      if (typeof t === 'string') {
        const known = types.get(e.data['webinar_id'] as string);
        assert.ok(known === undefined || known === t, 'one type per webinar');
        types.set(e.data['webinar_id'] as string, t);
      }
    }
    assert.equal(types.size, 4);
    assert.deepEqual(new Set(types.values()), new Set(['live', 'auto']));
    const regs = evs.filter((e) => e.type === 'client_webinar_registered');
    assert.ok(regs.some((e) => typeof e.data['slot_id'] === 'string'));
    assert.ok(regs.every((e) => e.data['slot_id'] === undefined || e.data['webinar_type'] === 'live'));
  });

  it('anonymous entries: with a sessionid named later by the lead, and a few with neither', () => {
    const entries = evs.filter((e) => e.type === 'client_webinar_entered');
    const anonymousInSession = entries.filter(
      (e) => e.data['lead_id'] === undefined && e.sessionid !== undefined,
    );
    const visitors = entries.filter((e) => e.data['lead_id'] === undefined && e.sessionid === undefined);
    assert.ok(anonymousInSession.length > 0);
    assert.ok(visitors.length > 0);
    const named = new Set(
      evs.filter((e) => typeof e.data['session_id'] === 'string').map((e) => e.data['session_id'] as string),
    );
    assert.ok(anonymousInSession.some((e) => named.has(e.sessionid!)));
    assert.ok(entries.every((e) => e.data['lead_id'] !== undefined || e.source === '/webinar-room'));
  });

  it('sessions: every leave reason, re-entry after a network loss, completed before and after left', () => {
    const lefts = evs.filter((e) => e.type === 'client_webinar_left');
    assert.deepEqual(
      new Set(lefts.map((e) => e.data['leave_reason'])),
      new Set(['user_exit', 'session_end', 'network_loss']),
    );
    const sessionsByLead = new Map<string, string[]>();
    for (const e of evs.filter((e) => e.type === 'client_webinar_entered' && e.sessionid !== undefined)) {
      const key = e.sessionid!.replace(/-\d+$/, '');
      sessionsByLead.set(key, [...(sessionsByLead.get(key) ?? []), e.sessionid!]);
    }
    const lostThenBack = lefts.filter(
      (e) =>
        e.data['leave_reason'] === 'network_loss' &&
        (sessionsByLead.get((e.data['session_id'] as string).replace(/-\d+$/, ''))?.length ?? 0) > 1,
    );
    assert.ok(lostThenBack.length > 0, 're-entries in a new session');

    const position = new Map(evs.map((e, i) => [e.id, i]));
    const leftOf = new Map(lefts.map((e) => [e.data['session_id'] as string, e]));
    let before = 0;
    let after = 0;
    for (const c of evs.filter((e) => e.type === 'client_webinar_completed')) {
      const l = leftOf.get(c.data['session_id'] as string);
      if (l === undefined) continue;
      if (position.get(c.id)! < position.get(l.id)!) before++;
      else after++;
    }
    assert.ok(before > 0 && after > 0, `completed before left ${before}, after ${after}`);
  });

  it('forms after completion: feedback once, survey sometimes twice (re-submittable), as the catalog says', () => {
    const forms = evs.filter((e) => e.type === 'client_webinar_form_submitted');
    const ids = new Set(forms.map((e) => e.data['form_id'] as string));
    assert.deepEqual(ids, new Set(Object.keys(SIMULATED_FORMS.forms)));
    const count = new Map<string, number>();
    for (const f of forms) {
      const key = `${f.data['lead_id']}/${f.data['webinar_id']}/${f.data['form_id']}`;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
    for (const [key, n] of count) {
      if (n > 1) assert.match(key, /\/survey$/);
    }
    assert.ok(
      [...count.values()].some((n) => n > 1),
      'a re-submitted survey',
    );
    const completedSessions = new Set(
      evs.filter((e) => e.type === 'client_webinar_completed').map((e) => e.data['session_id']),
    );
    assert.ok(forms.every((f) => completedSessions.has(f.data['session_id'])));
    const catalog = parseFormsCatalog(JSON.parse(JSON.stringify(SIMULATED_FORMS)));
    assert.deepEqual([...catalog.resubmittable], ['survey']);
  });

  it('unique ids, the time attribute is the fact time, times from --start on and in order per lead', () => {
    assert.equal(new Set(evs.map((e) => e.id)).size, evs.length);
    const start = Date.parse('2026-11-26T10:00:00Z');
    const lastTime = new Map<string, number>();
    for (const e of evs) {
      assert.equal(e.time, e.data[FACT_TIME_FIELD[e.type as ClientEventType]]);
      const t = Date.parse(e.time);
      assert.ok(t >= start);
      const lead = e.data['lead_id'];
      if (typeof lead !== 'string') continue;
      const key = `${lead}/${e.data['webinar_id']}`;
      assert.ok(t >= (lastTime.get(key) ?? 0), `${e.id} after the lead's previous event`);
      lastTime.set(key, t);
    }
    assert.ok(evs.some((e) => e.source === '/registration-page'));
    assert.ok(evs.some((e) => e.source === '/webinar-room'));
  });

  it('--start moves the whole stream', () => {
    const start = Date.parse('2030-01-01T00:00:00+03:00');
    const times = [...simulate({ webinars: 2, leads: 50, start: '2030-01-01T00:00:00+03:00' })].map((e) =>
      Date.parse((e.line as SimulatedEvent).time),
    );
    assert.ok(times.every((t) => t >= start && t < start + 4 * 86_400_000));
    assert.ok(Math.min(...times) < start + 3_600_000);
  });
});

describe('simulate: faults', () => {
  const judged = judgeAll({ webinars: 3, leads: 500, faults: 0.2, seed: 'faulty' });
  const count = (pred: (j: Judged) => boolean): number => judged.filter(pred).length;

  it('injects every kind of fault', () => {
    for (const kind of ['duplicate', 'retry', 'out_of_order', 'invalid'] as const) {
      assert.ok(count((j) => j.emitted.fault === kind) > 0, kind);
    }
    for (const kind of INVALID_KINDS) assert.ok(count((j) => j.emitted.invalid === kind) > 0, kind);
  });

  it('the rejected lines are exactly the injected invalid ones', () => {
    const rejected = count((j) => j.verdict.status === 'rejected');
    assert.ok(rejected > 0);
    for (const j of judged) {
      assert.equal(j.verdict.status === 'rejected', j.emitted.fault === 'invalid', JSON.stringify(j));
    }
    const codes = new Set(
      judged.flatMap((j) => (j.verdict.status === 'rejected' ? j.verdict.errors : [])).map((e) => e.code),
    );
    assert.deepEqual(
      codes,
      new Set(['UNKNOWN_FIELD', 'MISSING_FIELD', 'INVALID_FIELD', 'UNKNOWN_EVENT', 'MALFORMED_JSON']),
    );
    assert.ok(
      judged.some((j) => typeof j.emitted.line === 'string' && j.emitted.invalid === 'malformed_json'),
    );
  });

  it('the duplicate verdicts are exactly the re-sends and the retries', () => {
    assert.ok(count((j) => j.verdict.status === 'duplicate') > 0);
    for (const j of judged) {
      const resent = j.emitted.fault === 'duplicate' || j.emitted.fault === 'retry';
      assert.equal(j.verdict.status === 'duplicate', resent, JSON.stringify(j));
    }
  });

  it('a retry has the id and content of its original and a later time', () => {
    const byId = new Map<string, SimulatedEvent>();
    for (const { emitted } of judged) {
      if (typeof emitted.line === 'string') continue;
      if (emitted.fault === null || emitted.fault === 'out_of_order') byId.set(emitted.line.id, emitted.line);
    }
    const retries = judged
      .filter((j) => j.emitted.fault === 'retry')
      .map((j) => j.emitted.line as SimulatedEvent);
    for (const retry of retries) {
      const original = byId.get(retry.id)!;
      assert.deepEqual(retry.data, original.data);
      assert.ok(retry.time > original.time);
    }
  });

  it('out-of-order deliveries are accepted with warnings', () => {
    const late = judged.filter((j) => j.emitted.fault === 'out_of_order');
    assert.ok(late.every((j) => j.verdict.status === 'accepted'));
    const warned = new Set(
      judged.flatMap((j) => (j.verdict.status === 'accepted' ? j.verdict.warnings : [])).map((w) => w.code),
    );
    assert.ok(warned.has('NO_PRIOR_ENTRY'));
  });
});

describe('simulate: streaming', () => {
  it('the arrival order is a permutation of the leads', () => {
    for (const size of [1, 2, 3, 17, 1000, 4097]) {
      const seen = new Set<number>();
      for (let i = 0; i < size; i++) seen.add(permute(i, size, [11, 22, 33, 44]));
      assert.equal(seen.size, size);
      assert.ok([...seen].every((v) => v >= 0 && v < size));
    }
  });

  it('endless webinars can be taken lazily', () => {
    let n = 0;
    let last: Emitted | undefined;
    for (const e of simulate({ webinars: Infinity, leads: 50 })) {
      last = e;
      if (++n === 5000) break;
    }
    assert.equal(n, 5000);
    assert.match(JSON.stringify(last!.line), /W-[0-9a-f]{6}-0[2-9]\d/);
  });

  it('200,000 events in bounded memory, also with one huge live webinar', () => {
    // The live heap, after a full collection: what the generator holds, not the garbage it leaves.
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = (): number => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const before = live();
    let peak = 0;
    let n = 0;
    // One live webinar of 100,000 leads: its room would hold ~200,000 events without the window.
    for (const _ of simulate({ webinars: 1, leads: 100_000, faults: 0.05, window: 20_000 })) {
      if (++n % 25_000 === 0) peak = Math.max(peak, live() - before);
      if (n === 200_000) break;
    }
    for (const _ of simulate({ webinars: Infinity, leads: 1000, faults: 0.05 })) {
      if (++n % 50_000 === 0) peak = Math.max(peak, live() - before);
      if (n === 400_000) break;
    }
    assert.equal(n, 400_000);
    assert.ok(peak < 100 * 1024 * 1024, `live heap grew by ${Math.round(peak / 1048576)} MB`);
  });

  it('writes NDJSON in chunks to a slow stream, waiting for drain, and stops after --events lines', async () => {
    const chunks: string[] = [];
    let writes = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        writes++;
        chunks.push(chunk.toString('utf8'));
        setImmediate(callback);
      },
    });
    const stats = await writeSimulation({ webinars: Infinity, leads: 100, faults: 0.1 }, slow, {
      limit: 20_000,
    });
    const written = chunks.join('');
    assert.equal(stats.lines, 20_000);
    assert.equal(written.split('\n').length - 1, 20_000);
    assert.ok(writes > 10 && writes < 2000, `${writes} writes`);
    let expected = '';
    let n = 0;
    for (const { line } of simulate({ webinars: Infinity, leads: 100, faults: 0.1 })) {
      expected += `${typeof line === 'string' ? line : JSON.stringify(line)}\n`;
      if (++n === 20_000) break;
    }
    assert.equal(written, expected);
    const faults =
      stats.faults.duplicate + stats.faults.retry + stats.faults.out_of_order + stats.faults.invalid;
    assert.ok(faults > 0);
  });
});

describe('simulate: the command', () => {
  it('--help describes the stream, the faults and the forms catalog', async () => {
    const out = capture();
    assert.equal(await simulateCommand(['--help'], out), 0);
    const help = out.out.join('\n');
    for (const word of [
      ...CLIENT_EVENT_TYPES,
      'network_loss',
      'sessionid',
      'survey',
      'retry',
      '--events',
      '--out',
    ]) {
      assert.ok(help.includes(word), word);
    }
  });

  it('--forms-catalog prints the catalog the stream needs', async () => {
    const out = capture();
    assert.equal(await simulateCommand(['--forms-catalog'], out), 0);
    assert.deepEqual([...parseFormsCatalog(JSON.parse(out.out.join('\n'))).resubmittable], ['survey']);
  });

  it('bad options are usage errors', async () => {
    for (const args of [
      ['--faults', '2'],
      ['--faults', 'x'],
      ['--leads', '0'],
      ['--webinars', '-1'],
      ['--events', '1.5'],
      ['--start', '2026-11-26 10:00'],
      ['--seed', ''],
      ['--nope'],
      ['positional'],
    ]) {
      await assert.rejects(simulateCommand(args, capture()), UsageError, args.join(' '));
    }
  });
});
