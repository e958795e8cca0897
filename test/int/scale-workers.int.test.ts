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
  readLog,
  scaleDatabase,
  scaleServicesAvailable,
  shuffled,
  waitFor,
  workerProcess,
  type Json,
  type ScaleDatabase,
} from './scale-helpers.js';

const available = await scaleServicesAvailable();

/**
 * SPEC §6, §8, the scale runtime as separate processes: two API instances (`serve --no-processors`), two
 * classifier workers, two router workers and two relays, all configured by DATABASE_URL and NATS_URL only.
 */
describe(
  'scale runtime: two of every worker process',
  { skip: !available && 'PostgreSQL or NATS is down' },
  () => {
    const group = new ProcessGroup();
    let db: ScaleDatabase | undefined;
    let tap: JetStreamTap | undefined;
    after(async () => {
      await group.killAll();
      await tap?.close();
      await db?.drop();
    });

    it('derives each classification and route exactly once, and a JetStream subscriber sees every stored event', async () => {
      const tag = newTag();
      db = await scaleDatabase();
      tap = await JetStreamTap.open(natsUrl(), ofTag(tag));
      const env = { DATABASE_URL: db.url, NATS_URL: natsUrl() };

      const apis = [
        group.add(await ScaleServer.create('api-1', ['--no-processors'], env)),
        group.add(await ScaleServer.create('api-2', ['--no-processors'], env)),
      ];
      await Promise.all(apis.map((api) => api.start()));
      const classifiers = [1, 2].map((n) =>
        group.add(workerProcess(`classifier-${n}`, 'classifier', [], env)),
      );
      const routers = [1, 2].map((n) => group.add(workerProcess(`router-${n}`, 'router', [], env)));
      const relays = [1, 2].map((n) => group.add(workerProcess(`relay-${n}`, 'relay', [], env)));
      const workers = [...classifiers, ...routers, ...relays];
      for (const worker of workers) worker.spawn();

      // 6 webinars × 150 leads = 2700 events, half through each API instance, each half in its own order,
      // while the workers run.
      const story = funnel(tag, 6, 150);
      const halves = [
        shuffled(
          story.events.filter((_, i) => i % 2 === 0),
          1,
        ),
        shuffled(
          story.events.filter((_, i) => i % 2 === 1),
          2,
        ),
      ];
      const verdicts = await Promise.all(
        halves.map(async (half, n) => {
          const out: Json[] = [];
          for (const batch of chunks(half, 100)) out.push(...(await postBatch(apis[n]!.url, batch)).results);
          return out;
        }),
      );
      const all = verdicts.flat();
      assert.equal(all.length, story.events.length);
      assert.deepEqual(
        all.filter((v) => v['status'] !== 'accepted'),
        [],
        'every event accepted once',
      );

      // Completions are classified by the classifier workers alone (the API runs no processor).
      await waitFor(`${story.completed} attended=true classifications`, async () => {
        const trues = (await readLog(apis[0]!.url)).filter((e) => e['type'] === CLASSIFIED);
        return trues.length === story.completed ? trues : undefined;
      });

      // Both instances evaluate every webinar at the same time: each attended=false is emitted by one only.
      const evaluated = await Promise.all(
        story.webinars.flatMap((webinar) => apis.map((api) => evaluate(api.url, webinar))),
      );
      const falses = evaluated.flat().map((c) => String(c['lead_id']));
      assert.equal(falses.length, story.entered - story.completed);
      assert.equal(new Set(falses).size, falses.length, 'no lead classified false twice');

      const log = await waitFor('one route per classification', async () => {
        const log = await readLog(apis[1]!.url);
        const routes = log.filter((e) => e['type'] === ROUTE).length;
        return routes === story.entered ? log : undefined;
      });
      // Let the workers run a few more polls: nothing more may appear.
      await new Promise((r) => setTimeout(r, 500));
      const final = await readLog(apis[0]!.url);
      assert.equal(final.length, log.length, 'nothing derived after catching up');

      assertWellFormedLog(final);
      const { classifications, routes } = assertOneRoutePerClassification(final);
      assert.equal(final.length, story.events.length + 2 * story.entered);
      assert.equal(classifications.length, story.entered);
      assert.equal(classifications.filter((c) => dataOf(c)['attended'] === true).length, story.completed);
      const perKey = new Set(
        classifications.map((c) => `${String(dataOf(c)['lead_id'])}|${String(dataOf(c)['webinar_id'])}`),
      );
      assert.equal(perKey.size, story.entered, 'one classification per lead × webinar');

      // What each worker says it derived adds up to what is stored: no worker derived anything twice.
      const derivedBy = (ps: typeof classifiers): number[] => ps.map((p) => p.workerCount('derived'));
      const byClassifier = derivedBy(classifiers);
      const byRouter = derivedBy(routers);
      assert.equal(
        byClassifier.reduce((a, b) => a + b),
        story.completed,
      );
      assert.equal(
        byRouter.reduce((a, b) => a + b),
        routes.length,
      );

      // Every stored event, client and derived, reaches JetStream once, in log order.
      const messages = await tap.waitFor(final.length);
      await new Promise((r) => setTimeout(r, 300));
      assertStreamMatchesLog(await tap.catchUp(), final);
      // The relays take turns (the store's relay lease): together they published each event once, not once each.
      const published = relays.map((p) => p.workerCount('published'));
      assert.equal(
        published.reduce((a, b) => a + b),
        final.length,
        `the relays published ${published.join(' + ')}`,
      );

      for (const p of [...apis, ...workers])
        assert.deepEqual(p.errorLines(), [], `${p.name} logged no error`);
      // SIGTERM: every process finishes its step, closes its connections and exits 0.
      const codes = await Promise.all([...workers, ...apis].map((p) => p.stop()));
      assert.deepEqual(
        codes,
        codes.map(() => 0),
      );
      console.error(
        `# scale-workers: ${story.events.length} client events, ${classifications.length} classifications, ` +
          `${routes.length} routes, ${messages.length} on JetStream; derived by classifiers ${byClassifier.join('/')}, ` +
          `routers ${byRouter.join('/')}; published by relays ${published.join('/')}`,
      );
    });
  },
);
