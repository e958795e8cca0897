/**
 * `pg-restart` and `nats-restart`: the scale runtime (`serve --postgres … --nats …`, processors in-process) under a
 * steady load from producers while PostgreSQL or NATS is stopped for a few seconds and started again. /readyz must
 * answer 503 during the outage (and never hang), the service must become ready again by itself (same process), and
 * afterwards nothing is lost or doubled in PostgreSQL, and JetStream holds every stored event exactly once.
 */
import {
  Deadline,
  DrillServer,
  httpRequest,
  newAgent,
  note,
  onCleanup,
  parseJson,
  readLog,
  round,
  sleep,
  type Figures,
  type Json,
} from './common.js';
import {
  ensureServices,
  ensureServicesSync,
  natsUrl,
  nextStreamSeq,
  readStream,
  servicesAvailable,
  startService,
  stopService,
  type Service,
} from './services.js';
import { integrity, keyOf, newTag, produceFunnels } from './story.js';
import { scaleDatabase } from '../test/int/scale-helpers.js';

export interface RestartOptions {
  readonly producers: number;
  readonly leads: number;
  readonly batch: number;
  /** Pause of each producer between two batches (sets the load). */
  readonly paceMs: number;
  /** Load before the service is stopped. */
  readonly warmMs: number;
  /** How long the service stays down. */
  readonly outageMs: number;
  /** Load after the service is back and the API ready again. */
  readonly afterMs: number;
  /** The API must be ready again within this after the service is back. */
  readonly recoverWithinMs: number;
  readonly timeoutMs: number;
}

export const RESTART_FULL: RestartOptions = {
  producers: 2,
  leads: 40,
  batch: 40,
  paceMs: 10,
  warmMs: 5_000,
  outageMs: 5_000,
  afterMs: 8_000,
  recoverWithinMs: 30_000,
  timeoutMs: 170_000,
};

interface Probe {
  readonly at: number;
  /** HTTP status of /readyz, or 0 when it did not answer within its timeout / the connection failed. */
  readonly status: number;
  readonly ms: number;
}

export async function restartDrill(
  service: Service,
  options: RestartOptions = RESTART_FULL,
): Promise<Figures> {
  const drill = service === 'postgres' ? 'pg-restart' : 'nats-restart';
  const t0 = performance.now();
  if (!(await servicesAvailable())) {
    return { drill, error: 'PostgreSQL or NATS is not reachable on this machine', ok: false };
  }
  const deadline = new Deadline(options.timeoutMs, drill);
  const removeHook = onCleanup(ensureServicesSync);
  const db = await scaleDatabase();
  const agent = newAgent(options.producers * 2);
  let server: DrillServer | undefined;
  try {
    const fromSeq = await nextStreamSeq();
    server = await DrillServer.create({ args: ['--postgres', db.url, '--nats', natsUrl()] });
    await server.start();
    const url = server.url;
    const tag = newTag();
    const source = `/drill-${service}-${tag}`;
    const sent: Json[] = [];
    const acknowledged = new Set<string>();
    const expected = new Map<string, boolean>();
    const webinars: string[] = [];
    const statuses: Record<string, number> = {};
    let rejected = 0;
    let retries = 0;
    let sending = true;

    const count = (status: string): void => {
      statuses[status] = (statuses[status] ?? 0) + 1;
    };
    const sendUntilAcknowledged = async (batch: Json[]): Promise<void> => {
      const body = JSON.stringify(batch);
      for (;;) {
        deadline.check();
        let wait = 200;
        try {
          const answer = await httpRequest(`${url}/v1/events`, {
            body,
            contentType: 'application/cloudevents-batch+json',
            agent,
            timeoutMs: 15_000,
          });
          count(String(answer.status));
          const results = parseJson(answer.text)?.['results'];
          if (answer.status === 200 && Array.isArray(results) && results.length === batch.length) {
            for (const result of results as Json[]) {
              if (result['status'] === 'accepted' || result['status'] === 'duplicate') {
                acknowledged.add(String(result['id']));
              } else rejected++;
            }
            return;
          }
          const retryAfter = Number(answer.headers['retry-after']);
          if (Number.isFinite(retryAfter) && retryAfter > 0) wait = Math.min(retryAfter * 1000, 2000);
        } catch {
          count('no answer');
        }
        retries++;
        await sleep(wait);
      }
    };
    const producer = (p: number): Promise<void> =>
      produceFunnels({
        source,
        tag,
        producer: p,
        leads: options.leads,
        batch: options.batch,
        going: () => sending,
        sent: { webinars, expected, events: sent },
        send: async (batch) => {
          await sendUntilAcknowledged(batch);
          await sleep(options.paceMs);
        },
      });

    // /readyz every 100 ms, each with a 2 s timeout: a hanging readiness check is as bad as a wrong one.
    const probes: Probe[] = [];
    let probing = true;
    const prober = (async () => {
      while (probing && !deadline.passed) {
        const at = performance.now();
        try {
          const answer = await httpRequest(`${url}/readyz`, { timeoutMs: 2000 });
          probes.push({ at, status: answer.status, ms: answer.ms });
        } catch {
          probes.push({ at, status: 0, ms: performance.now() - at });
        }
        await sleep(100);
      }
    })();

    const producers = Array.from({ length: options.producers }, (_, p) => producer(p));
    let downAt = 0;
    let upAt = 0;
    let readyAt = 0;
    try {
      await sleep(options.warmMs);
      note(`${drill}: stopping ${service} for ${options.outageMs} ms under load`);
      downAt = performance.now();
      await stopService(service);
      await sleep(options.outageMs);
      await startService(service);
      upAt = performance.now();
      note(`${drill}: ${service} is back; waiting for /readyz`);
      while (performance.now() - upAt < options.recoverWithinMs) {
        const last = probes.at(-1);
        if (last !== undefined && last.at > upAt && last.status === 200) {
          readyAt = last.at;
          break;
        }
        await sleep(50);
      }
      await sleep(options.afterMs);
    } finally {
      sending = false;
      await Promise.all(producers);
      probing = false;
      await prober;
    }

    // Every webinar is evaluated; then the processors (classifier, router, relay) catch up.
    for (const webinar of webinars) {
      for (;;) {
        deadline.check();
        const answer = await httpRequest(`${url}/v1/webinars/${encodeURIComponent(webinar)}/evaluate`, {
          method: 'POST',
          agent,
        });
        if (answer.status === 200) break;
        await sleep(200);
      }
    }
    const mine = (event: Json): boolean =>
      event['source'] === source || String((event['data'] as Json)['webinar_id']).startsWith(`W-${tag}-`);
    let log: Json[] = [];
    let stream: Awaited<ReturnType<typeof readStream>> = [];
    const settle = new Deadline(60_000, `${drill}: JetStream catching up`);
    for (;;) {
      log = await readLog(url, agent);
      stream = await readStream(fromSeq, mine);
      if (new Set(stream.map((m) => m.msgId)).size >= log.length || settle.passed) break;
      await sleep(500);
    }
    const figures = integrity(log, source, acknowledged, expected);
    const stored = new Set(log.map(keyOf));
    const onStream = new Set(stream.map((m) => m.msgId));
    let missingOnStream = 0;
    for (const key of stored) if (!onStream.has(key)) missingOnStream++;
    let extraOnStream = 0;
    for (const key of onStream) if (key === undefined || !stored.has(key)) extraOnStream++;

    const outage = probes.filter((p) => p.at >= downAt && p.at <= upAt);
    const notReady = outage.filter((p) => p.status === 503).length;
    const readyzNoAnswer = probes.filter((p) => p.status === 0).length;
    const recovered = readyAt > 0;
    const errorLines = server.errorLines().length;
    await server.stop();
    const ok =
      notReady > 0 &&
      readyzNoAnswer === 0 &&
      recovered &&
      server.unexpectedExits.length === 0 &&
      acknowledged.size === sent.length &&
      rejected === 0 &&
      figures.lost === 0 &&
      figures.duplicated === 0 &&
      figures.classifications_without_one_route === 0 &&
      figures.misclassified === 0 &&
      figures.position_gaps === 0 &&
      missingOnStream === 0 &&
      extraOnStream === 0 &&
      stream.length === onStream.size;
    return {
      drill,
      outage_s: round((upAt - downAt) / 1000),
      readyz_probes_during_outage: outage.length,
      readyz_503_during_outage: notReady,
      readyz_no_answer: readyzNoAnswer,
      readyz_max_ms: round(Math.max(...probes.map((p) => p.ms))),
      recovered,
      ready_again_s: recovered ? round((readyAt - upAt) / 1000, 2) : null,
      webinars: webinars.length,
      sent: sent.length,
      acknowledged: acknowledged.size,
      ...figures,
      rejected,
      http_statuses: statuses,
      batch_retries: retries,
      stream_events: onStream.size,
      missing_on_stream: missingOnStream,
      duplicated_on_stream: stream.length - onStream.size,
      extra_on_stream: extraOnStream,
      server_error_lines: errorLines,
      unexpected_exits: server.unexpectedExits.length,
      seconds: round((performance.now() - t0) / 1000),
      ok,
    };
  } finally {
    await server?.kill();
    agent.destroy();
    await ensureServices();
    removeHook();
    await db.drop().catch(() => undefined);
  }
}
