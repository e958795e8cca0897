/**
 * `soak`: the embedded server (SQLite, durability full) under a steady, open-loop 5,000 events/s for 2 minutes:
 * a batch every `batch / rate` seconds whatever the answers, webinars evaluated as they finish. Figures: request
 * latency p50/p99, the server's RSS after the warm-up and at the end (growth under 20 %), errors (0).
 */
import { join } from 'node:path';
import {
  DrillServer,
  httpRequest,
  median,
  metric,
  newAgent,
  note,
  parseJson,
  percentile,
  round,
  rssMb,
  sleep,
  tempDir,
  type Figures,
  type Json,
} from './common.js';
import { funnel, newTag, shuffled } from './story.js';

export interface SoakOptions {
  readonly seconds: number;
  /** Events a second. */
  readonly rate: number;
  /** Events per request. */
  readonly batch: number;
  /** Requests allowed in flight; a tick that finds them all busy is skipped and counted as an error. */
  readonly maxInFlight: number;
  /** RSS "at start" is taken after this warm-up (the heap and caches grow to their working size first). */
  readonly warmupSeconds: number;
  /** Largest RSS growth from start to end, as a fraction. */
  readonly maxRssGrowth: number;
  /** Evaluate each webinar once its traffic is over (as an operator would). */
  readonly evaluate: boolean;
}

export const SOAK_FULL: SoakOptions = {
  seconds: 120,
  rate: 5000,
  batch: 100,
  maxInFlight: 64,
  warmupSeconds: 15,
  maxRssGrowth: 0.2,
  evaluate: true,
};

export async function soakDrill(options: SoakOptions = SOAK_FULL): Promise<Figures> {
  const t0 = performance.now();
  const dir = tempDir('soak');
  const server = await DrillServer.create({ args: ['--db', join(dir, 'soak.sqlite')] });
  const agent = newAgent(options.maxInFlight);
  const tag = newTag();
  const source = `/drill-soak-${tag}`;
  try {
    await server.start();
    const rssIdle = rssMb(server.pid);
    note(`soak: ${options.rate} events/s for ${options.seconds} s`);

    // The traffic: webinar after webinar, each shuffled; a webinar is evaluated once three more have started.
    const queue: Json[] = [];
    const started: string[] = [];
    let evaluations = 0;
    const evaluationMs: number[] = [];
    let evaluationErrors = 0;
    const pending = new Set<Promise<void>>();
    const evaluate = (webinar: string): void => {
      const request: Promise<void> = httpRequest(
        `${server.url}/v1/webinars/${encodeURIComponent(webinar)}/evaluate`,
        {
          method: 'POST',
          agent,
        },
      )
        .then(
          (answer) => {
            evaluationMs.push(answer.ms);
            if (answer.status === 200) evaluations++;
            else evaluationErrors++;
          },
          () => {
            evaluationErrors++;
          },
        )
        .finally(() => pending.delete(request));
      pending.add(request);
    };
    const take = (n: number): Json[] => {
      while (queue.length < n) {
        const f = funnel(source, `${tag}-${started.length}`, 250);
        started.push(f.webinar);
        queue.push(...shuffled(f.events, started.length));
        if (options.evaluate && started.length > 3) evaluate(started[started.length - 4]!);
      }
      return queue.splice(0, n);
    };

    const latencies: number[] = [];
    const statuses: Record<string, number> = {};
    let sentEvents = 0;
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;
    let noAnswer = 0;
    let skipped = 0;
    let inFlight = 0;
    const rss: Array<{ s: number; mb: number }> = [];
    const tickMs = (options.batch / options.rate) * 1000;
    const start = performance.now();
    const end = start + options.seconds * 1000;
    const sampler = setInterval(() => {
      const mb = rssMb(server.pid);
      if (mb !== undefined) rss.push({ s: (performance.now() - start) / 1000, mb });
    }, 1000);
    try {
      for (let k = 0; ; k++) {
        const due = start + k * tickMs;
        if (due >= end) break;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        if (inFlight >= options.maxInFlight) {
          skipped++;
          continue;
        }
        const batch = take(options.batch);
        sentEvents += batch.length;
        inFlight++;
        const request = httpRequest(`${server.url}/v1/events`, {
          body: JSON.stringify(batch),
          contentType: 'application/cloudevents-batch+json',
          agent,
          timeoutMs: 30_000,
        })
          .then(
            (answer) => {
              latencies.push(answer.ms);
              if (process.env['DRILL_DEBUG_SOAK'] && answer.ms > 500) {
                note(`soak: ${Math.round(answer.ms)} ms at ${round((performance.now() - start) / 1000)} s`);
              }
              statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
              const body = parseJson(answer.text);
              if (answer.status !== 200 || body === undefined) return;
              accepted += Number(body['accepted']);
              duplicates += Number(body['duplicates']);
              rejected += Number(body['rejected']);
            },
            () => {
              noAnswer++;
            },
          )
          .finally(() => {
            inFlight--;
            pending.delete(request);
          });
        pending.add(request);
      }
      await Promise.all([...pending]);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (performance.now() - start) / 1000;
    const stored = await metric(server.url, 'webinar_events_verdicts_total{status="accepted"}');
    const afterWarmup = rss.filter((r) => r.s >= options.warmupSeconds && r.s < options.warmupSeconds + 10);
    const rssStart = median(afterWarmup.map((r) => r.mb));
    const rssEnd = median(rss.slice(-10).map((r) => r.mb));
    const growth = (rssEnd - rssStart) / rssStart;
    const non200 = Object.entries(statuses)
      .filter(([status]) => status !== '200')
      .reduce((sum, [, n]) => sum + n, 0);
    const errors = non200 + noAnswer + rejected + skipped + evaluationErrors;
    await server.stop();
    const ok =
      errors === 0 &&
      stored === accepted &&
      growth < options.maxRssGrowth &&
      accepted + duplicates >= 0.99 * options.rate * options.seconds &&
      server.unexpectedExits.length === 0;
    return {
      drill: 'soak',
      seconds: round(seconds),
      target_events_per_s: options.rate,
      events_per_s: Math.round((accepted + duplicates) / seconds),
      events: sentEvents,
      accepted,
      stored,
      requests: latencies.length + noAnswer,
      batch: options.batch,
      p50_ms: round(percentile(latencies, 50), 2),
      p99_ms: round(percentile(latencies, 99), 2),
      max_ms: round(Math.max(...latencies), 1),
      rss_idle_mb: rssIdle ?? null,
      rss_start_mb: rssStart,
      rss_end_mb: rssEnd,
      rss_peak_mb: Math.max(...rss.map((r) => r.mb)),
      rss_growth_pct: round(growth * 100),
      webinars: started.length,
      evaluations,
      evaluation_p50_ms: round(percentile(evaluationMs, 50), 1),
      evaluation_p99_ms: round(percentile(evaluationMs, 99), 1),
      errors,
      skipped_ticks: skipped,
      http_statuses: statuses,
      unexpected_exits: server.unexpectedExits.length,
      ok,
    };
  } finally {
    agent.destroy();
    await server.kill();
    note(`soak: done in ${round((performance.now() - t0) / 1000)} s`);
  }
}
