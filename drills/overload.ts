/**
 * `overload`: far more than the service can take. Many connections POST 1000-event batches back to back and ignore
 * Retry-After; the service must turn the excess away with 503 OVERLOADED + Retry-After instead of queueing it in
 * memory, keep its RSS bounded, lose nothing it acknowledged, and serve normally again once the flood stops. A
 * second phase floods a server with WEBINAR_EVENTS_RATE_LIMIT set: 429 + Retry-After.
 */
import { join } from 'node:path';
import {
  DrillServer,
  httpRequest,
  metric,
  newAgent,
  note,
  parseJson,
  round,
  rssMb,
  sleep,
  tempDir,
  type Figures,
  type Json,
} from './common.js';
import { chunks, funnel, newTag } from './story.js';

export interface OverloadOptions {
  /** Length of the flood. */
  readonly seconds: number;
  readonly connections: number;
  readonly batch: number;
  /** Distinct batches prepared before the flood (then re-sent: duplicates cost the service work too). */
  readonly distinctBatches: number;
  /** The server's RSS must stay under this during the flood. */
  readonly rssBoundMb: number;
  /** Once the flood stops, a new batch must be taken within this. */
  readonly recoverWithinMs: number;
  /** Phase 2: requests a second allowed by WEBINAR_EVENTS_RATE_LIMIT, and the length of its flood. */
  readonly rateLimit: number;
  readonly rateLimitSeconds: number;
}

export const OVERLOAD_FULL: OverloadOptions = {
  seconds: 20,
  connections: 128,
  batch: 1000,
  distinctBatches: 200,
  rssBoundMb: 1024,
  recoverWithinMs: 10_000,
  rateLimit: 50,
  rateLimitSeconds: 3,
};

interface FloodTally {
  requests: number;
  ok200: number;
  overloaded503: number;
  without_retry_after: number;
  rate_limited429: number;
  other5xx: number;
  other: number;
  no_answer: number;
  accepted: number;
}

async function flood(
  url: string,
  bodies: readonly string[],
  connections: number,
  ms: number,
  headers: Record<string, string> = {},
): Promise<FloodTally> {
  const tally: FloodTally = {
    requests: 0,
    ok200: 0,
    overloaded503: 0,
    without_retry_after: 0,
    rate_limited429: 0,
    other5xx: 0,
    other: 0,
    no_answer: 0,
    accepted: 0,
  };
  const agent = newAgent(connections);
  const end = performance.now() + ms;
  let next = 0;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const body = bodies[next++ % bodies.length]!;
      tally.requests++;
      try {
        const answer = await httpRequest(`${url}/v1/events`, {
          body,
          contentType: 'application/cloudevents-batch+json',
          headers,
          agent,
          timeoutMs: 30_000,
        });
        if (answer.status === 200) {
          tally.ok200++;
          tally.accepted += Number(parseJson(answer.text)?.['accepted'] ?? 0);
        } else if (answer.status === 503 || answer.status === 429) {
          if (answer.status === 503) tally.overloaded503++;
          else tally.rate_limited429++;
          if (!(Number(answer.headers['retry-after']) > 0)) tally.without_retry_after++;
        } else if (answer.status >= 500) tally.other5xx++;
        else tally.other++;
      } catch {
        tally.no_answer++;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, loop));
  } finally {
    agent.destroy();
  }
  return tally;
}

export async function overloadDrill(options: OverloadOptions = OVERLOAD_FULL): Promise<Figures> {
  const t0 = performance.now();
  const dir = tempDir('overload');
  const tag = newTag();
  const source = `/drill-overload-${tag}`;
  const events: Json[] = [];
  for (let w = 0; events.length < options.distinctBatches * options.batch; w++) {
    events.push(...funnel(source, `${tag}-${w}`, 500).events);
  }
  const bodies = chunks(events, options.batch)
    .slice(0, options.distinctBatches)
    .map((b) => JSON.stringify(b));
  events.length = 0;

  const server = await DrillServer.create({ args: ['--db', join(dir, 'overload.sqlite')] });
  const limited = await DrillServer.create({
    args: ['--db', join(dir, 'limited.sqlite')],
    env: { WEBINAR_EVENTS_RATE_LIMIT: String(options.rateLimit) },
  });
  try {
    await server.start();
    const rssIdle = rssMb(server.pid);
    note(
      `overload: ${options.connections} connections × ${options.batch}-event batches for ${options.seconds} s`,
    );
    const rss: number[] = [];
    const sampler = setInterval(() => {
      const mb = rssMb(server.pid);
      if (mb !== undefined) rss.push(mb);
    }, 250);
    let tally: FloodTally;
    try {
      tally = await flood(server.url, bodies, options.connections, options.seconds * 1000);
    } finally {
      clearInterval(sampler);
    }
    const rssAtEnd = rss.at(-1) ?? null;

    // Recovery: once the flood stops, a fresh batch is taken and /readyz says ready.
    const stopAt = performance.now();
    let recoveredMs: number | null = null;
    const fresh = JSON.stringify(funnel(source, `${tag}-after`, 30).events);
    while (performance.now() - stopAt < options.recoverWithinMs) {
      try {
        const answer = await httpRequest(`${server.url}/v1/events`, {
          body: fresh,
          contentType: 'application/json',
          timeoutMs: 5000,
        });
        const ready = await httpRequest(`${server.url}/readyz`, { timeoutMs: 5000 });
        if (answer.status === 200 && ready.status === 200) {
          recoveredMs = performance.now() - stopAt;
          tally.accepted += Number(parseJson(answer.text)?.['accepted'] ?? 0);
          break;
        }
      } catch {
        // not yet
      }
      await sleep(100);
    }
    await sleep(2000);
    const rssAfter = rssMb(server.pid) ?? null;
    const stored = await metric(server.url, 'webinar_events_verdicts_total{status="accepted"}');
    await server.stop();

    // Phase 2: a per-client rate limit answers 429 + Retry-After.
    await limited.start();
    const small = chunks(funnel(source, `${tag}-limited`, 200).events, 10).map((b) => JSON.stringify(b));
    const limit = await flood(limited.url, small, 16, options.rateLimitSeconds * 1000);
    await limited.stop();

    const rssPeak = Math.max(...rss);
    // Bounded, not merely large: the second half of the flood peaks no higher than the first (plus noise).
    const half = Math.floor(rss.length / 2);
    const rssFirstHalf = Math.max(...rss.slice(0, half));
    const rssSecondHalf = Math.max(...rss.slice(half));
    const ok =
      tally.overloaded503 > 0 &&
      tally.ok200 > 0 &&
      tally.without_retry_after === 0 &&
      tally.other5xx === 0 &&
      tally.no_answer === 0 &&
      tally.other === 0 &&
      rssPeak < options.rssBoundMb &&
      rssSecondHalf <= rssFirstHalf * 1.2 &&
      recoveredMs !== null &&
      stored === tally.accepted &&
      limit.rate_limited429 > 0 &&
      limit.without_retry_after === 0 &&
      limit.other5xx === 0 &&
      limit.no_answer === 0 &&
      server.unexpectedExits.length === 0 &&
      limited.unexpectedExits.length === 0;
    return {
      drill: 'overload',
      flood_s: options.seconds,
      connections: options.connections,
      batch: options.batch,
      requests: tally.requests,
      answered_200: tally.ok200,
      answered_503: tally.overloaded503,
      without_retry_after: tally.without_retry_after,
      other_5xx: tally.other5xx,
      other_status: tally.other,
      no_answer: tally.no_answer,
      accepted: tally.accepted,
      stored,
      lost: Math.max(0, tally.accepted - stored),
      rss_idle_mb: rssIdle ?? null,
      rss_peak_mb: rssPeak,
      rss_peak_first_half_mb: rssFirstHalf,
      rss_peak_second_half_mb: rssSecondHalf,
      rss_end_of_flood_mb: rssAtEnd,
      rss_after_mb: rssAfter,
      rss_bound_mb: options.rssBoundMb,
      recovered_ms: recoveredMs === null ? null : Math.round(recoveredMs),
      rate_limit_per_s: options.rateLimit,
      rate_limit_requests: limit.requests,
      answered_429: limit.rate_limited429,
      rate_limit_200: limit.ok200,
      rate_limit_without_retry_after: limit.without_retry_after,
      rate_limit_5xx: limit.other5xx,
      unexpected_exits: server.unexpectedExits.length + limited.unexpectedExits.length,
      seconds: round((performance.now() - t0) / 1000),
      ok,
    };
  } finally {
    await server.kill();
    await limited.kill();
  }
}
