import assert from 'node:assert/strict';
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
  chunks,
  dataOf,
  evaluate,
  funnel,
  newTag,
  ofTag,
  postBatch,
  postOne,
  readLog,
  readRejections,
  readReport,
  scaleDatabase,
  scaleServicesAvailable,
  shuffled,
  sleep,
  waitFor,
  type Json,
  type ScaleDatabase,
} from './scale-helpers.js';

const available = await scaleServicesAvailable();

/** An event sent once, labelled with the group whose verdicts are judged together. */
interface Sent {
  readonly group: string;
  readonly event: Json;
}
/** One HTTP request: a batch, or a single event (POST of one object). */
type Request = { readonly batch: Sent[] } | { readonly one: Sent };
/** A round: two request streams sent at the same time, each in order; rounds follow each other. */
type Round = [Request[], Request[]];

const at = (minute: number): string => new Date(Date.UTC(2026, 10, 26, 10, minute)).toISOString();

/** Places the single events evenly between the batches. */
function interleave(batches: Sent[][], singles: Sent[]): Request[] {
  const out: Request[] = [];
  const per = Math.ceil(singles.length / Math.max(1, batches.length));
  for (let i = 0; i < Math.max(batches.length, 1); i++) {
    if (batches[i] !== undefined) out.push({ batch: batches[i]! });
    for (const one of singles.slice(i * per, (i + 1) * per)) out.push({ one });
  }
  return out;
}

interface Story {
  readonly rounds: Round[];
  readonly webinars: string[];
  /** group → the verdicts expected, whatever the interleaving ("accepted", "duplicate", "rejected:CODE+CODE"). */
  readonly expected: Map<string, string[]>;
  readonly entered: number;
  readonly completed: number;
}

/**
 * Every funnel event is sent through both streams (one `accepted`, one `duplicate`), and K leads of a contested
 * webinar get pairs of rival events, one per stream, racing: the same id with other content (ID_CONFLICT), two
 * entries, leaves, completions of one session (REPEATED_IN_SESSION), two submissions of a one-time form
 * (FORM_ALREADY_SUBMITTED). Whichever rival wins, the verdicts and everything derived are the same. Some events
 * break a rule whatever the order: a second registration (ALREADY_REGISTERED, round 2), then a wrong webinar type
 * (WEBINAR_TYPE_MISMATCH) and another lead in a session (SESSION_MISMATCH) in the last round.
 */
function conflictStory(tag: string): Story {
  const base = funnel(tag, 4, 100);
  const source = `/t-${tag}`;
  const expected = new Map<string, string[]>();
  const webinar_id = `W-${tag}-x`;
  const K = 40;
  const lead = (k: number): string => `L-${tag}-x-${k}`;
  const session = (k: number): string => `S-${tag}-x-${k}`;
  const ev = (id: string, type: string, data: Json, extra: Json = {}): Json => ({
    specversion: '1.0',
    id,
    source,
    type,
    data,
    ...extra,
  });
  const reg = (id: string, k: number, channel: string): Json =>
    ev(id, 'client_webinar_registered', {
      lead_id: lead(k),
      webinar_id,
      webinar_type: 'live',
      registered_at: at(0),
      source: channel,
    });
  const ent = (id: string, leadId: string, k: number): Json =>
    ev(
      id,
      'client_webinar_entered',
      { lead_id: leadId, webinar_id, timestamp: at(1) },
      { sessionid: session(k) },
    );
  const left = (id: string, k: number, type = 'live'): Json =>
    ev(id, 'client_webinar_left', {
      lead_id: lead(k),
      webinar_id,
      webinar_type: type,
      session_id: session(k),
      left_at: at(50),
      leave_reason: 'network_loss',
    });
  const done = (id: string, k: number): Json =>
    ev(id, 'client_webinar_completed', {
      lead_id: lead(k),
      webinar_id,
      webinar_type: 'live',
      session_id: session(k),
      completed_at: at(55),
    });
  const form = (id: string, k: number): Json =>
    ev(id, 'client_webinar_form_submitted', {
      lead_id: lead(k),
      webinar_id,
      webinar_type: 'live',
      session_id: session(k),
      submitted_at: at(58),
      form_id: 'feedback',
      form_payload: { rating: k % 5 },
    });

  // Rival pairs per round: [group, event through stream A, event through stream B, the loser's verdict, lead k].
  const rivals: Array<Array<[string, Json, Json, string, number]>> = [[], [], [], []];
  const alone = Array.from({ length: 4 }, (): [Sent[], Sent[]] => [[], []]);
  for (let k = 0; k < K; k++) {
    rivals[0]!.push([
      `id-conflict ${k}`,
      reg(`xreg-${k}`, k, 'landing'),
      reg(`xreg-${k}`, k, 'email'),
      'rejected:ID_CONFLICT',
      k,
    ]);
    rivals[1]!.push([
      `entry ${k}`,
      ent(`xent-a-${k}`, lead(k), k),
      ent(`xent-b-${k}`, lead(k), k),
      'rejected:REPEATED_IN_SESSION',
      k,
    ]);
    alone[1]![0].push({ group: `registration ${k}`, event: reg(`xreg2-${k}`, k, 'landing') });
    expected.set(`registration ${k}`, ['rejected:ALREADY_REGISTERED']);
    rivals[2]!.push([
      `left ${k}`,
      left(`xleft-a-${k}`, k),
      left(`xleft-b-${k}`, k),
      'rejected:REPEATED_IN_SESSION',
      k,
    ]);
    rivals[2]!.push([
      `form ${k}`,
      form(`xform-a-${k}`, k),
      form(`xform-b-${k}`, k),
      'rejected:FORM_ALREADY_SUBMITTED',
      k,
    ]);
    if (k % 2 === 0) {
      rivals[2]!.push([
        `completion ${k}`,
        done(`xdone-a-${k}`, k),
        done(`xdone-b-${k}`, k),
        'rejected:REPEATED_IN_SESSION',
        k,
      ]);
    }
    alone[3]![0].push({ group: `type ${k}`, event: left(`xmis-${k}`, k, 'auto') });
    expected.set(`type ${k}`, ['rejected:REPEATED_IN_SESSION+WEBINAR_TYPE_MISMATCH']);
    alone[3]![1].push({ group: `session ${k}`, event: ent(`xses-${k}`, `L-${tag}-y-${k}`, k) });
    expected.set(`session ${k}`, ['rejected:SESSION_MISMATCH']);
  }

  const funnelChunks = chunks(base.events, Math.ceil(base.events.length / 4)).map((part) =>
    part.map((event): Sent => ({ group: `same ${String(event['id'])}`, event })),
  );
  for (const part of funnelChunks) for (const s of part) expected.set(s.group, ['accepted', 'duplicate']);

  const rounds: Round[] = [];
  for (let r = 0; r < 4; r++) {
    const singlesA: Sent[] = [...alone[r]![0]];
    const singlesB: Sent[] = [...alone[r]![1]];
    // Stream B takes the leads in reverse order (each lead's events still in order): A's first rivals meet B's
    // last, so each stream wins some pairs unless one instance is twice as fast as the other all round long.
    const byLeadDescending = [...rivals[r]!].sort((x, y) => y[4] - x[4]);
    for (const [group, a, , loser] of rivals[r]!) {
      singlesA.push({ group, event: a });
      expected.set(group, ['accepted', loser].sort());
    }
    for (const [group, , b] of byLeadDescending) singlesB.push({ group, event: b });
    const part = funnelChunks[r] ?? [];
    rounds.push([
      interleave(chunks(shuffled(part, 10 + r), 50), singlesA),
      interleave(chunks(shuffled(part, 20 + r), 50), singlesB),
    ]);
  }
  return {
    rounds,
    webinars: [...base.webinars, webinar_id],
    expected,
    entered: base.entered + K,
    completed: base.completed + K / 2,
  };
}

interface Outcome {
  /** group → verdicts, sorted. */
  readonly verdicts: Map<string, string[]>;
  /** group → the positions its accepted / duplicate verdicts named. */
  readonly positions: Map<string, number[]>;
  /** How many rival pairs each stream won (its event accepted). */
  readonly wins: [number, number];
  readonly falses: string[];
  readonly log: Json[];
  readonly rejections: number;
  readonly reports: Json[];
}

/** Sends the rounds: stream A to `targets[0]`, stream B to `targets[1]` (the same instance when there is one). */
async function tell(story: Story, targets: [string, string]): Promise<Outcome> {
  const verdicts = new Map<string, string[]>();
  const positions = new Map<string, number[]>();
  const wins: [number, number] = [0, 0];
  const note = (group: string, verdict: string, position: unknown, stream: 0 | 1): void => {
    if (verdict === 'accepted' && story.expected.get(group)?.length === 2 && !group.startsWith('same ')) {
      wins[stream]++;
    }
    verdicts.set(group, [...(verdicts.get(group) ?? []), verdict].sort());
    if (typeof position === 'number') positions.set(group, [...(positions.get(group) ?? []), position]);
  };
  const send = async (target: string, requests: Request[], stream: 0 | 1): Promise<void> => {
    for (const request of requests) {
      if ('batch' in request) {
        const answer = await postBatch(
          target,
          request.batch.map((s) => s.event),
        );
        answer.results.forEach((v, i) => note(request.batch[i]!.group, verdictOf(v), v['position'], stream));
      } else {
        const answer = await postOne(target, request.one.event);
        const status = { 202: 'accepted', 200: 'duplicate' }[answer.status as 202 | 200];
        if (status !== undefined) {
          assert.equal(answer.body['status'], status);
          note(request.one.group, status, answer.body['position'], stream);
        } else {
          assert.ok([409, 422].includes(answer.status), JSON.stringify(answer.body));
          note(
            request.one.group,
            verdictOf({ status: 'rejected', errors: answer.body['errors'] }),
            undefined,
            stream,
          );
        }
      }
    }
  };
  for (const [a, b] of story.rounds) await Promise.all([send(targets[0], a, 0), send(targets[1], b, 1)]);

  // Both targets evaluate every webinar at the same time.
  const falses = (await Promise.all(story.webinars.flatMap((w) => targets.map((t) => evaluate(t, w)))))
    .flat()
    .map((c) => String(c['lead_id']));

  const log = await waitFor('one route per classification', async () => {
    const log = await readLog(targets[0]);
    return log.filter((e) => e['type'] === ROUTE).length === story.entered ? log : undefined;
  });
  await sleep(300);
  const final = await readLog(targets[1]);
  assert.equal(final.length, log.length, 'nothing derived after catching up');
  const reports = await Promise.all(story.webinars.map((w) => readReport(targets[0], w)));
  return {
    verdicts,
    positions,
    wins,
    falses,
    log: final,
    rejections: (await readRejections(targets[1])).length,
    reports,
  };
}

function verdictOf(v: Json): string {
  if (v['status'] !== 'rejected') return String(v['status']);
  const codes = (v['errors'] as Json[]).map((e) => String(e['code'])).sort();
  return `rejected:${codes.join('+')}`;
}

/** What must be equal between runs: derived events without their time, reports without classification times. */
function derivedView(log: readonly Json[]): Json {
  const strip = (e: Json, keepCause: boolean): Json => {
    const { timestamp: _t, ...data } = dataOf(e);
    return {
      id: e['id'],
      source: e['source'],
      data,
      ...(keepCause ? { causationid: e['causationid'] } : {}),
    };
  };
  const byId = (a: Json, b: Json): number => String(a['id']).localeCompare(String(b['id']));
  return {
    // A false verdict names the evaluation request (a random id) as its cause; a route names its classification.
    classifications: log
      .filter((e) => e['type'] === CLASSIFIED)
      .map((e) => strip(e, false))
      .sort(byId),
    routes: log
      .filter((e) => e['type'] === ROUTE)
      .map((e) => strip(e, true))
      .sort(byId),
    // Which of two rival events was stored may differ (…-a-… or …-b-…); which ids exist may not.
    clientKeys: log
      .filter((e) => String(e['source']).startsWith('/t-'))
      .map((e) => `${String(e['type'])} ${String(e['id']).replace(/^x(ent|left|done|form)-[ab]-/, 'x$1-?-')}`)
      .sort(),
  };
}

/**
 * The report without what depends on arrival order: when a verdict was made, and the warnings (a rival `left`
 * stored before or after its `entered` carries NO_PRIOR_ENTRY or not, and which rival is stored may differ).
 */
function reportView(reports: readonly Json[]): Json[] {
  return reports.map((r) => {
    const { warnings: _w, ...totals } = r['totals'] as Json;
    return {
      ...r,
      totals,
      leads: (r['leads'] as Json[]).map(({ classified_at: _c, warnings: _lw, ...lead }) => lead),
    };
  });
}

/**
 * SPEC §6, §8: API instances on one PostgreSQL decide the emission rules serially. Two instances receiving
 * interleaved, conflicting events give the same verdicts, the same derived events and the same report as one.
 */
describe(
  'scale runtime: two API instances against one',
  { skip: !available && 'PostgreSQL or NATS is down' },
  () => {
    const group = new ProcessGroup();
    const dbs: ScaleDatabase[] = [];
    let tap: JetStreamTap | undefined;
    after(async () => {
      await group.killAll();
      await tap?.close();
      for (const db of dbs) await db.drop();
    });

    it('gives the same verdicts, classifications, routes and reports as a single instance', async () => {
      const tag = newTag();
      const story = conflictStory(tag);

      // Two instances, each with its in-process classifier, router and relay (`serve --postgres --nats`).
      const twoDb = await scaleDatabase();
      dbs.push(twoDb);
      tap = await JetStreamTap.open(natsUrl(), ofTag(tag));
      const flags = ['--postgres', twoDb.url, '--nats', natsUrl()];
      const pair = [
        group.add(await ScaleServer.create('api-1', flags)),
        group.add(await ScaleServer.create('api-2', flags)),
      ];
      await Promise.all(pair.map((s) => s.start()));
      const started = Date.now();
      const two = await tell(story, [pair[0]!.url, pair[1]!.url]);
      const twoMs = Date.now() - started;

      // The reference: one instance (no bus) receives the same two streams at the same time.
      const oneDb = await scaleDatabase();
      dbs.push(oneDb);
      const single = group.add(await ScaleServer.create('api-single', ['--postgres', oneDb.url]));
      await single.start();
      const one = await tell(story, [single.url, single.url]);

      for (const outcome of [two, one]) {
        // Whatever the interleaving: exactly the expected verdicts per group (one winner per conflict).
        assert.equal(outcome.verdicts.size, story.expected.size);
        for (const [g, verdicts] of story.expected) assert.deepEqual(outcome.verdicts.get(g), verdicts, g);
        // A duplicate names the position of the event it repeats.
        for (const [g, positions] of outcome.positions) {
          if (g.startsWith('same '))
            assert.equal(new Set(positions).size, 1, `${g}: ${positions.join(', ')}`);
        }
        assert.equal(outcome.falses.length, story.entered - story.completed);
        assert.equal(new Set(outcome.falses).size, outcome.falses.length, 'no lead classified false twice');
        assertWellFormedLog(outcome.log);
        const { classifications } = assertOneRoutePerClassification(outcome.log);
        assert.equal(classifications.length, story.entered);
      }
      // The rivals did race: each stream won some of the pairs against the other instance.
      assert.ok(two.wins[0] > 0 && two.wins[1] > 0, `wins ${two.wins.join('/')}`);
      assert.deepEqual(two.verdicts, one.verdicts);
      assert.deepEqual([...two.falses].sort(), [...one.falses].sort());
      assert.equal(two.log.length, one.log.length);
      assert.equal(two.rejections, one.rejections);
      assert.deepEqual(derivedView(two.log), derivedView(one.log));
      assert.deepEqual(reportView(two.reports), reportView(one.reports));

      // Two in-process relays published the two-instance log: every stored event once, in log order.
      await tap.waitFor(two.log.length);
      await sleep(300);
      assertStreamMatchesLog(await tap.catchUp(), two.log);

      for (const p of [...pair, single]) assert.deepEqual(p.errorLines(), [], `${p.name} logged no error`);
      const sent = story.rounds.flat(2).reduce((n, r) => n + ('batch' in r ? r.batch.length : 1), 0);
      console.error(
        `# scale-api: ${sent} events sent per run (${story.expected.size} groups), ${two.log.length} stored, ` +
          `${two.rejections} rejected; rival pairs won by stream A/B: ${two.wins.join('/')} (two instances), ` +
          `${one.wins.join('/')} (one); two instances ${twoMs} ms`,
      );
    });
  },
);
