import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { natsUrl } from './services.js';
import {
  CLASSIFIED,
  JetStreamTap,
  ProcessGroup,
  ROUTE,
  ScaleServer,
  assertOneRoutePerClassification,
  assertStreamMatchesLog,
  assertWellFormedLog,
  dataOf,
  getJson,
  keyOf,
  newTag,
  ofTag,
  readLog,
  readRejections,
  request,
  scaleDatabase,
  scaleServicesAvailable,
  sleep,
  waitFor,
  workerProcess,
  type HttpAnswer,
  type Json,
  type ScaleDatabase,
} from './scale-helpers.js';

const available = await scaleServicesAvailable();
const BIN = fileURLToPath(new URL('../../../bin/webinar-events.js', import.meta.url));
const run = promisify(execFile);

/** A runtime under test: where to send each request (the scale runtime alternates between its two APIs). */
interface Target {
  readonly name: string;
  next(): string;
  /** Store options of the CLI for this runtime. */
  readonly cliStore: string[];
}

const at = (minute: number): string => new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString();

/** One recorded answer of the story. */
interface Step {
  readonly step: string;
  readonly status: number;
  readonly body: Json;
}

/**
 * The HTTP story: every verdict kind and rejection code a client can meet, out-of-order warnings, an anonymous
 * entry attributed through its session, explicit evaluations (again, and of an unknown webinar), a `false`
 * re-classified `true`. Requests go one at a time, so the story is the same on every runtime.
 */
async function tellStory(tag: string, target: Target): Promise<Step[]> {
  const source = `/t-${tag}`;
  const wa = `W-${tag}-a`;
  const wb = `W-${tag}-b`;
  const lead = (n: number): string => `L-${tag}-${n}`;
  const ev = (id: string, type: string, data: Json, extra: Json = {}): Json => ({
    specversion: '1.0',
    id,
    source,
    type,
    time: at(0),
    data,
    ...extra,
  });
  const reg = (id: string, n: number, webinar = wa, type = 'live'): Json =>
    ev(id, 'client_webinar_registered', {
      lead_id: lead(n),
      webinar_id: webinar,
      webinar_type: type,
      ...(type === 'live' ? { slot_id: 'slot-1' } : {}),
      registered_at: at(0),
      source: 'landing/autumn',
    });
  const ent = (id: string, n: number | null, session: string | null, webinar = wa): Json =>
    ev(
      id,
      'client_webinar_entered',
      { ...(n === null ? {} : { lead_id: lead(n) }), webinar_id: webinar, timestamp: at(1) },
      session === null ? {} : { sessionid: session },
    );
  const sessionEvent = (type: string, id: string, n: number, session: string, more: Json, webinar = wa) =>
    ev(id, type, {
      lead_id: lead(n),
      webinar_id: webinar,
      webinar_type: webinar === wa ? 'live' : 'auto',
      session_id: session,
      ...more,
    });
  const left = (id: string, n: number, session: string, webinar = wa): Json =>
    sessionEvent(
      'client_webinar_left',
      id,
      n,
      session,
      { left_at: at(50), leave_reason: 'user_exit' },
      webinar,
    );
  const done = (id: string, n: number, session: string): Json =>
    sessionEvent('client_webinar_completed', id, n, session, { completed_at: at(55) });
  const form = (id: string, n: number, session: string): Json =>
    sessionEvent('client_webinar_form_submitted', id, n, session, {
      submitted_at: at(58),
      form_id: 'feedback',
      form_payload: { rating: 5, comments: ['clear', 'useful'] },
    });

  const steps: Step[] = [];
  const record = (step: string, answer: HttpAnswer): void => {
    steps.push({ step, status: answer.status, body: answer.body });
  };
  const post = async (step: string, body: unknown, contentType?: string): Promise<void> =>
    record(
      step,
      await request(`${target.next()}/v1/events`, {
        method: 'POST',
        body,
        ...(contentType === undefined ? {} : { contentType }),
      }),
    );
  const evaluate = async (step: string, webinar: string): Promise<void> =>
    record(
      step,
      await request(`${target.next()}/v1/webinars/${encodeURIComponent(webinar)}/evaluate`, {
        method: 'POST',
      }),
    );
  const get = async (step: string, path: string): Promise<void> =>
    record(step, await request(`${target.next()}${path}`));
  /** Waits until the processors (in-process or workers) have caught up: evaluating an unknown webinar
   * catches the classifier up; then every classification must have its route. */
  const settle = async (): Promise<void> => {
    await request(`${target.next()}/v1/webinars/W-${tag}-none/evaluate`, { method: 'POST' });
    let previous = -1;
    await waitFor(`${target.name}: every classification routed`, async () => {
      const log = await readLog(target.next());
      const c = log.filter((e) => e['type'] === CLASSIFIED).length;
      const r = log.filter((e) => e['type'] === ROUTE).length;
      const stable = c === r && log.length === previous;
      previous = log.length;
      return stable ? true : undefined;
    });
  };

  await post('registration', reg('reg-1', 1));
  await post('the same registration again', reg('reg-1', 1));
  await post('the same id, other content', {
    ...reg('reg-1', 1),
    data: { ...dataOf(reg('reg-1', 1)), source: 'mail' },
  });
  await post(
    'a batch of good and bad events',
    [
      reg('reg-2', 2),
      reg('reg-3', 3),
      ent('ent-1', 1, 'S-1'),
      ent('ent-2', 2, 'S-2'),
      ent('ent-anon-4', null, 'S-4'),
      reg('reg-1-again', 1),
      { ...reg('no-specversion', 7), specversion: undefined },
      ev('unknown', 'client_webinar_paused', { lead_id: lead(7) }),
      ev('reserved', ROUTE, { lead_id: lead(7) }),
      { ...reg('extra-field', 8), data: { ...dataOf(reg('extra-field', 8)), utm: 'x' } },
      ev('missing', 'client_webinar_entered', { lead_id: lead(8) }),
      { ...reg('bad-type', 8), data: { ...dataOf(reg('bad-type', 8)), webinar_type: 'replay' } },
      reg('reg-2', 2),
    ],
    'application/cloudevents-batch+json',
  );
  await post('leave', left('left-1', 1, 'S-1'));
  await post('completion', done('done-1', 1, 'S-1'));
  await post('completion with no registration and no entry', done('done-5', 5, 'S-5'));
  await post("the anonymous entry's lead leaves", left('left-4', 4, 'S-4'));
  await post('form', form('form-1', 1, 'S-1'));
  await post('the one-time form again', form('form-1-again', 1, 'S-1'));
  await post('a second entry in a session', ent('ent-2-again', 2, 'S-2'));
  await post('another lead in the session', left('left-3', 3, 'S-2'));
  await post('the other webinar type', {
    ...left('left-1-auto', 1, 'S-1b'),
    data: { ...dataOf(left('x', 1, 'S-1b')), webinar_type: 'auto' },
  });
  await post(
    'an anonymous entry without session',
    ent('ent-anon-b', null, null, wb),
    'application/cloudevents+json',
  );
  await post('webinar b', [
    reg('reg-6b', 6, wb, 'auto'),
    ent('ent-6b', 6, 'S-6b', wb),
    left('left-6b', 6, 'S-6b', wb),
  ]);
  record(
    'not JSON',
    await fetch(`${target.next()}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"specversion":',
      signal: AbortSignal.timeout(20_000),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Json })),
  );
  await settle();
  await evaluate('evaluate a', wa);
  await evaluate('evaluate a again', wa);
  await evaluate('evaluate b', wb);
  await evaluate('evaluate an unknown webinar', `W-${tag}-unknown`);
  await post('a lead classified false completes', done('done-2', 2, 'S-2'));
  await settle();
  for (const webinar of [wa, wb]) await get(`report ${webinar}`, `/v1/webinars/${webinar}/attendance`);
  await get('report page', `/v1/webinars/${wa}/attendance?limit=2&after=${lead(1)}`);
  for (const n of [1, 2, 4, 5]) await get(`timeline ${n}`, `/v1/leads/${lead(n)}/timeline`);
  await get('timeline 6 on b', `/v1/leads/${lead(6)}/timeline?webinar_id=${wb}`);
  await get('classifications', `/v1/events?type=${CLASSIFIED}&limit=1000`);
  return steps;
}

/**
 * Makes two runtimes' answers comparable: positions become the (source, id) of the event they name (derived
 * events interleave differently: in-process at once, by workers a little later); times of the service's own
 * making are dropped; a false verdict's cause (the evaluation request, a random id) is named generically.
 */
function normalizer(log: readonly Json[]): (value: unknown) => unknown {
  const keyAt = new Map(log.map((e) => [Number(e['position']), keyOf(e)]));
  const derived = (e: Json): boolean => String(e['source']).startsWith('webinar-events/');
  const norm = (value: unknown, parent?: string): unknown => {
    if (Array.isArray(value)) {
      const items = value.map((v) => norm(v, parent));
      // A list of log events: the client events keep their order; derived events are listed per type.
      const logEvent = (v: unknown): boolean =>
        typeof v === 'object' && v !== null && 'position' in v && 'source' in v;
      if (value.length > 0 && value.every(logEvent)) {
        return {
          client: items.filter((_, i) => !derived(value[i] as Json)),
          classifications: items.filter((_, i) => (value[i] as Json)['type'] === CLASSIFIED),
          routes: items.filter((_, i) => (value[i] as Json)['type'] === ROUTE),
        };
      }
      return items;
    }
    if (typeof value !== 'object' || value === null) return value;
    const obj = value as Json;
    const out: Json = {};
    const isDerived = typeof obj['source'] === 'string' && derived(obj);
    for (const [k, v] of Object.entries(obj)) {
      if (k === 'position' && typeof v === 'number') out[k] = keyAt.get(v) ?? `unknown position ${v}`;
      // A feed page's `next` is a position too; derived events may interleave differently between runtimes.
      else if (k === 'next' && typeof v === 'number' && Array.isArray(obj['events'])) {
        out[k] = keyAt.get(v) ?? `unknown position ${v}`;
      } else if (k === 'recordedat' || k === 'received_at' || k === 'classified_at') out[k] = typeof v;
      else if (k === 'timestamp' && parent === 'classified') out[k] = typeof v;
      else if (isDerived && k === 'time') out[k] = typeof v;
      else if (isDerived && k === 'data') {
        const { timestamp, ...rest } = v as Json;
        out[k] = { ...rest, timestamp: typeof timestamp };
      } else if (
        isDerived &&
        k === 'causationid' &&
        obj['type'] === CLASSIFIED &&
        dataOf(obj)['attended'] === false
      )
        out[k] = 'an evaluation request';
      else out[k] = norm(v, k);
    }
    return out;
  };
  return (value) => norm(value);
}

interface Told {
  readonly steps: unknown;
  readonly log: unknown;
  readonly rejections: unknown;
  readonly cliReports: unknown;
  readonly raw: { steps: Step[]; log: Json[] };
}

async function tell(tag: string, target: Target): Promise<Told> {
  const steps = await tellStory(tag, target);
  const log = await readLog(target.next());
  const rejections = await readRejections(target.next());
  // The CLI reads the same store by configuration alone and prints the same report.
  const cliReports: unknown[] = [];
  for (const w of ['a', 'b']) {
    const { stdout } = await run(
      process.execPath,
      [BIN, 'report', `W-${tag}-${w}`, '--json', ...target.cliStore],
      {
        timeout: 20_000,
      },
    );
    cliReports.push(JSON.parse(stdout));
  }
  const norm = normalizer(log);
  return {
    steps: norm(steps),
    log: norm(log),
    rejections: norm(rejections.map(({ seq: _s, ...r }) => r)),
    cliReports: norm(cliReports),
    raw: { steps, log },
  };
}

/**
 * SPEC §8: the runtime is chosen by configuration only. The same HTTP story, told to the embedded runtime
 * (`serve --db`, SQLite, in-process processors) and to the scale runtime (two `serve --no-processors` on
 * PostgreSQL + NATS, with a classifier, a router and a relay worker), gives identical answers.
 */
describe(
  'the same story on SQLite and on PostgreSQL + NATS',
  { skip: !available && 'PostgreSQL or NATS is down' },
  () => {
    const group = new ProcessGroup();
    const dir = mkdtempSync(join(tmpdir(), 'we-scale-e2e-'));
    let db: ScaleDatabase | undefined;
    let tap: JetStreamTap | undefined;
    after(async () => {
      await group.killAll();
      await tap?.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('gives identical verdicts, classifications, routes, reports, timelines and quarantine', async () => {
      const tag = newTag();
      const sqliteFile = join(dir, 'events.sqlite');
      const embedded = group.add(await ScaleServer.create('embedded', ['--db', sqliteFile]));
      await embedded.start();
      const sqlite = await tell(tag, {
        name: 'sqlite',
        next: () => embedded.url,
        cliStore: ['--db', sqliteFile],
      });

      db = await scaleDatabase();
      tap = await JetStreamTap.open(natsUrl(), ofTag(tag));
      const flags = ['--postgres', db.url, '--nats', natsUrl()];
      const apis = [
        group.add(await ScaleServer.create('api-1', ['--no-processors', ...flags])),
        group.add(await ScaleServer.create('api-2', ['--no-processors', ...flags])),
      ];
      await Promise.all(apis.map((a) => a.start()));
      const workers = (['classifier', 'router', 'relay'] as const).map((kind) =>
        group.add(workerProcess(kind, kind, flags)),
      );
      for (const w of workers) w.spawn();
      let turn = 0;
      const scale = await tell(tag, {
        name: 'postgres+nats',
        next: () => apis[turn++ % 2]!.url,
        cliStore: ['--postgres', db.url],
      });

      // The story does what it claims (checked on SQLite; the scale runtime must then answer the same).
      const statuses = sqlite.raw.steps.map((s) => `${s.step}: ${s.status}`);
      assert.deepEqual(statuses.slice(0, 14), [
        'registration: 202',
        'the same registration again: 200',
        'the same id, other content: 409',
        'a batch of good and bad events: 200',
        'leave: 202',
        'completion: 202',
        'completion with no registration and no entry: 202',
        "the anonymous entry's lead leaves: 202",
        'form: 202',
        'the one-time form again: 409',
        'a second entry in a session: 409',
        'another lead in the session: 409',
        'the other webinar type: 409',
        'an anonymous entry without session: 202',
      ]);
      const evaluations = sqlite.raw.steps
        .filter((s) => s.step.startsWith('evaluate'))
        .map((s) =>
          (s.body['classified'] as Json[]).map((c) => `${String(c['lead_id'])}=${String(c['attended'])}`),
        );
      assert.deepEqual(evaluations, [[`L-${tag}-2=false`, `L-${tag}-4=false`], [], [`L-${tag}-6=false`], []]);
      assertWellFormedLog(sqlite.raw.log);
      const { classifications } = assertOneRoutePerClassification(sqlite.raw.log);
      assert.equal(classifications.length, 6, 'L1, L5, L2 true; L2, L4, L6 false');

      // DEBUG_SCALE_E2E=<file> writes both runtimes' normalized answers, to inspect a difference.
      if (process.env['DEBUG_SCALE_E2E']) {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(process.env['DEBUG_SCALE_E2E'], JSON.stringify({ sqlite, scale }, null, 1));
      }
      // Identical answers on both runtimes.
      assert.deepEqual(scale.steps, sqlite.steps);
      assert.deepEqual(scale.log, sqlite.log);
      assert.deepEqual(scale.rejections, sqlite.rejections);
      assert.deepEqual(scale.cliReports, sqlite.cliReports);
      const httpReports = (sqlite.steps as Array<{ step: string; body: unknown }>)
        .filter((s) => s.step.startsWith('report W-'))
        .map((s) => s.body);
      assert.deepEqual(sqlite.cliReports, httpReports, 'the CLI report is the HTTP report');

      // And the scale runtime published every stored event, client and derived, to JetStream.
      assertWellFormedLog(scale.raw.log);
      await tap.waitFor(scale.raw.log.length);
      await sleep(300);
      assertStreamMatchesLog(await tap.catchUp(), scale.raw.log);
      for (const p of [embedded, ...apis, ...workers])
        assert.deepEqual(p.errorLines(), [], `${p.name} logged no error`);
      // The reports read through both runtimes' HTTP agree with the stored totals.
      const report = await getJson(`${apis[0]!.url}/v1/webinars/W-${tag}-a/attendance`);
      assert.deepEqual(report['totals'], {
        registered: 3,
        entered: 3,
        completed: 3,
        attended: 3,
        not_attended: 1,
        unclassified: 1,
        anonymous_entries: 0,
        warnings: { ANONYMOUS_ENTRY: 1, NO_PRIOR_ENTRY: 1, NO_PRIOR_REGISTRATION: 2 },
      });
    });
  },
);
