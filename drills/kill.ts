/**
 * `kill`: producers send batches over HTTP to the embedded server (SQLite) while it is SIGKILLed at random moments
 * and restarted; every batch whose answer was lost is re-sent with the same ids until it is acknowledged. Then the
 * webinars are evaluated (with one more kill in the middle), and the log is checked (SPEC §6): every acknowledged
 * event stored once, nothing twice, one route per classification, the right verdict per lead.
 */
import { join } from 'node:path';
import {
  Deadline,
  DrillServer,
  httpRequest,
  note,
  parseJson,
  readLog,
  round,
  sleep,
  tempDir,
  type Figures,
  type Json,
} from './common.js';
import { chunks, integrity, newTag, produceFunnels } from './story.js';

export interface KillOptions {
  /** SIGKILLs while producers send (at least 10 in the full drill). */
  readonly cycles: number;
  /** Concurrent producers. */
  readonly producers: number;
  /** Leads per webinar; each producer sends webinar after webinar until the kills are done. */
  readonly leads: number;
  readonly batch: number;
  /** The server lives a random time in [minUpMs, maxUpMs] before each kill. */
  readonly minUpMs: number;
  readonly maxUpMs: number;
  /** The whole drill fails past this. */
  readonly timeoutMs: number;
}

export const KILL_FULL: KillOptions = {
  cycles: 20,
  producers: 3,
  leads: 50,
  batch: 40,
  minUpMs: 100,
  maxUpMs: 900,
  timeoutMs: 170_000,
};

export const KILL_QUICK: KillOptions = {
  cycles: 3,
  producers: 2,
  leads: 20,
  batch: 25,
  minUpMs: 80,
  maxUpMs: 400,
  timeoutMs: 60_000,
};

const random = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1));

export async function killDrill(options: KillOptions = KILL_FULL): Promise<Figures> {
  const t0 = performance.now();
  const deadline = new Deadline(options.timeoutMs, 'kill drill');
  const dir = tempDir('kill');
  const server = await DrillServer.create({ args: ['--db', join(dir, 'kill.sqlite')] });
  const tag = newTag();
  const source = `/drill-kill-${tag}`;
  const sent: Json[] = [];
  const acknowledged = new Set<string>();
  const expected = new Map<string, boolean>();
  const webinars: string[] = [];
  let rejected = 0;
  let retries = 0;
  let duplicateOnRetry = 0;
  let killing = true;

  /** POSTs one batch until it is answered with a verdict per event (any failure: the same batch again). */
  const sendUntilAcknowledged = async (batch: Json[]): Promise<void> => {
    const body = JSON.stringify(batch);
    for (let attempt = 0; ; attempt++) {
      deadline.check();
      try {
        const answer = await httpRequest(`${server.url}/v1/events`, {
          body,
          contentType: 'application/cloudevents-batch+json',
          timeoutMs: 10_000,
        });
        const results = parseJson(answer.text)?.['results'];
        if (answer.status === 200 && Array.isArray(results) && results.length === batch.length) {
          for (const result of results as Json[]) {
            if (result['status'] === 'accepted' || result['status'] === 'duplicate') {
              acknowledged.add(String(result['id']));
              if (attempt > 0 && result['status'] === 'duplicate') duplicateOnRetry++;
            } else rejected++;
          }
          return;
        }
      } catch {
        // killed under it: its fate is unknown, so it is sent again
      }
      retries++;
      await sleep(20);
    }
  };

  const producer = (p: number): Promise<void> =>
    produceFunnels({
      source,
      tag,
      producer: p,
      leads: options.leads,
      batch: options.batch,
      going: () => killing,
      sent: { webinars, expected, events: sent },
      send: sendUntilAcknowledged,
    });

  try {
    await server.start();
    note(`kill: ${options.cycles} SIGKILLs under ${options.producers} producers`);
    const producers = Array.from({ length: options.producers }, (_, p) => producer(p));
    const killer = (async () => {
      try {
        for (let c = 0; c < options.cycles; c++) {
          await sleep(random(options.minUpMs, options.maxUpMs));
          await server.kill();
          await sleep(random(0, 100));
          await server.start();
        }
      } finally {
        killing = false;
      }
    })();
    await Promise.all([killer, ...producers]);

    // Evaluate every webinar, with one more SIGKILL while the evaluations run; a lost answer is asked again.
    const evaluate = async (webinar: string): Promise<number> => {
      for (;;) {
        deadline.check();
        try {
          const answer = await httpRequest(
            `${server.url}/v1/webinars/${encodeURIComponent(webinar)}/evaluate`,
            {
              method: 'POST',
              timeoutMs: 10_000,
            },
          );
          const classified = parseJson(answer.text)?.['classified'];
          if (answer.status === 200 && Array.isArray(classified)) return classified.length;
        } catch {
          // killed under it
        }
        retries++;
        await sleep(20);
      }
    };
    const evaluations = (async () => {
      for (const webinar of webinars) await evaluate(webinar);
    })();
    await sleep(random(5, 60));
    await server.kill();
    await sleep(random(0, 100));
    await server.start();
    await evaluations;
    // A second evaluation finds nothing new: the first ones were recorded, and nothing is classified twice.
    let reevaluationNew = 0;
    for (const webinar of webinars) reevaluationNew += await evaluate(webinar);

    const log = await readLog(server.url);
    const figures = integrity(log, source, acknowledged, expected);

    // Restart and send everything again: every event must come back a duplicate.
    let resendAccepted = 0;
    let resendDuplicates = 0;
    for (const batch of chunks(sent, 500)) {
      const answer = await httpRequest(`${server.url}/v1/events`, {
        body: JSON.stringify(batch),
        contentType: 'application/json',
      });
      const body = parseJson(answer.text);
      if (answer.status !== 200 || body === undefined) throw new Error(`resend: ${answer.status}`);
      resendAccepted += Number(body['accepted']);
      resendDuplicates += Number(body['duplicates']);
    }
    await server.stop();
    const ok =
      server.kills >= options.cycles + 1 &&
      acknowledged.size === sent.length &&
      figures.lost === 0 &&
      figures.duplicated === 0 &&
      figures.classifications_without_one_route === 0 &&
      figures.misclassified === 0 &&
      figures.position_gaps === 0 &&
      rejected === 0 &&
      reevaluationNew === 0 &&
      resendAccepted === 0 &&
      server.unexpectedExits.length === 0;
    return {
      drill: 'kill',
      kills: server.kills,
      producers: options.producers,
      webinars: webinars.length,
      sent: sent.length,
      acknowledged: acknowledged.size,
      ...figures,
      rejected,
      batch_retries: retries,
      duplicate_on_retry: duplicateOnRetry,
      reevaluation_new: reevaluationNew,
      resend_accepted: resendAccepted,
      resend_duplicates: resendDuplicates,
      unexpected_exits: server.unexpectedExits.length,
      seconds: round((performance.now() - t0) / 1000),
      ok,
    };
  } finally {
    killing = false;
    await server.kill();
  }
}
