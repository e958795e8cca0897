import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { natsUrl } from './services.js';
import {
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
  request,
  scaleDatabase,
  scaleServicesAvailable,
  shuffled,
  sleep,
  waitFor,
  workerProcess,
  type ScaleDatabase,
  type ScaleProcess,
} from './scale-helpers.js';

const available = await scaleServicesAvailable();

/**
 * SPEC §6 in the scale runtime: SIGKILL any process (classifier, router, relay, API) at any moment, restart it,
 * and nothing is lost or doubled, in PostgreSQL or on JetStream.
 */
describe(
  'scale runtime: SIGKILL and restart mid-stream',
  { skip: !available && 'PostgreSQL or NATS is down' },
  () => {
    const group = new ProcessGroup();
    let db: ScaleDatabase | undefined;
    let tap: JetStreamTap | undefined;
    let chaos = false;
    let chaosLoops: Array<Promise<void>> = [];
    after(async () => {
      chaos = false; // no loop may restart a worker after the cleanup
      await Promise.allSettled(chaosLoops);
      await group.killAll(); // a failed assertion must not leave a child keeping the test process alive
      await tap?.close();
      await db?.drop();
    });

    it('loses and doubles nothing when the workers, the relay and the API are killed while events flow', async () => {
      const tag = newTag();
      db = await scaleDatabase();
      tap = await JetStreamTap.open(natsUrl(), ofTag(tag));
      // Flags this time (the worker test uses the environment).
      const flags = ['--postgres', db.url, '--nats', natsUrl()];
      const api = group.add(await ScaleServer.create('api', ['--no-processors', ...flags]));
      await api.start();
      const classifier = group.add(workerProcess('classifier', 'classifier', flags));
      const router = group.add(workerProcess('router', 'router', flags));
      const relay = group.add(workerProcess('relay', 'relay', flags));
      const workers = [classifier, router, relay];
      for (const worker of workers) worker.spawn();

      /** SIGKILL once the worker is up and busy, at a random point of its work, then restart it at once. */
      const crash = async (worker: ScaleProcess): Promise<void> => {
        await worker.started();
        await sleep(20 + Math.floor(Math.random() * 120));
        await worker.kill();
        worker.spawn();
      };
      // Each worker is killed over and over, independently of the traffic, until the story is told.
      chaos = true;
      chaosLoops = workers.map(async (worker) => {
        while (chaos) await crash(worker);
      });

      // 4 webinars × 120 leads = 1440 events in batches of 40, in random order; every ninth batch the API is
      // killed while the batch is in flight.
      const story = funnel(tag, 4, 120);
      const batches = chunks(shuffled(story.events, 7), 40);
      let apiKills = 0;
      for (let b = 0; b < batches.length; b++) {
        const batch = batches[b]!;
        if (b % 9 === 4) {
          // Its fate is unknown, so it is sent again after the restart.
          const sending = request(`${api.url}/v1/events`, { method: 'POST', body: batch });
          sending.catch(() => undefined);
          await sleep(b % 4);
          await api.kill();
          apiKills++;
          await sending.catch(() => undefined);
          await api.start();
        }
        const answer = await postBatch(api.url, batch);
        assert.equal(
          answer.rejected,
          0,
          JSON.stringify(answer.results.filter((r) => r['status'] === 'rejected')),
        );
      }

      // Nothing acknowledged was lost: everything sent again is a duplicate.
      for (const batch of chunks(story.events, 500)) {
        const answer = await postBatch(api.url, batch);
        assert.equal(answer.duplicates, batch.length);
      }

      // Evaluations while the workers keep being killed.
      const falses = (await Promise.all(story.webinars.map((w) => evaluate(api.url, w)))).flat();
      assert.equal(falses.length, story.entered - story.completed);
      await sleep(1000);
      chaos = false;
      await Promise.all(chaosLoops);

      // The last incarnations catch up.
      const log = await waitFor(
        'every classification routed',
        async () => {
          const log = await readLog(api.url);
          return log.filter((e) => e['type'] === ROUTE).length === story.entered ? log : undefined;
        },
        40_000,
      );
      await sleep(500);
      const final = await readLog(api.url);
      assert.equal(final.length, log.length, 'nothing derived after catching up');

      assertWellFormedLog(final);
      const { classifications } = assertOneRoutePerClassification(final);
      const clientEvents = final.filter((e) => e['source'] === `/t-${tag}`);
      assert.equal(clientEvents.length, story.events.length, 'every client event stored once');
      assert.equal(classifications.length, story.entered, 'one classification per entered lead');
      assert.equal(classifications.filter((c) => dataOf(c)['attended'] === true).length, story.completed);
      assert.equal(final.length, story.events.length + 2 * story.entered);

      // JetStream: every stored event once, despite the relay dying between publishing and its checkpoint.
      await tap.waitFor(final.length, 40_000);
      await sleep(300);
      const messages = await tap.catchUp();
      assertStreamMatchesLog(messages, final);

      const kills = workers.map((w) => `${w.name} ${w.kills}`).join(', ');
      assert.ok(
        workers.every((w) => w.kills >= 5),
        kills,
      );
      assert.ok(apiKills >= 4, `api ${apiKills}`);
      console.error(
        `# scale-crash: SIGKILLs: ${kills}, api ${apiKills}; ${final.length} stored, ${messages.length} on JetStream`,
      );
    });
  },
);
