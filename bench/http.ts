/**
 * http-batch and http-single: `webinar-events serve` as a child on a fresh SQLite file, and the load client
 * (bench/http-client.ts) as another child; the bench only starts, waits and reads. http-single-ceiling: the same
 * client against bench/stub-server.ts, which answers at once.
 */
import type { SqliteDurability } from '../src/store/sqlite/sqlite-store.js';
import type { Row } from './report.js';
import { BIN, Child, HTTP_CLIENT, STUB_SERVER, freePort, round, runChild, sleep } from './util.js';

export interface HttpOptions {
  readonly file: string;
  readonly forms: string;
  readonly db: string;
  readonly durability: SqliteDurability;
  readonly mode: 'single' | 'batch';
  /** Timed events (batch) or requests (single). */
  readonly events: number;
  readonly warmup: number;
  readonly concurrency: number;
  readonly batch: number;
  readonly timeoutMs: number;
  /** Post to the stub server instead of the service. */
  readonly stub?: boolean;
}

async function startServer(options: HttpOptions): Promise<{ server: Child; url: string }> {
  const port = await freePort();
  const args = options.stub
    ? [STUB_SERVER, String(port)]
    : [
        BIN,
        'serve',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--db',
        options.db,
        '--forms',
        options.forms,
      ];
  if (!options.stub && options.durability === 'normal') args.push('--durability', 'normal');
  const server = new Child(process.execPath, args, {
    timeoutMs: options.timeoutMs + 60_000,
    rssProbe: true,
    env: { LOG_LEVEL: 'warn', WEBINAR_EVENTS_TOKENS: '' },
    maxOutput: 64 * 1024,
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (!server.running) {
      const finished = await server.exited;
      throw new Error(
        `the server exited with ${finished.code ?? finished.signal}: ${finished.stderr.trim().slice(-500)}`,
      );
    }
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { server, url };
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  await server.stop();
  throw new Error('the server did not answer GET /healthz within 20 s');
}

export async function benchHttp(name: string, options: HttpOptions): Promise<Row> {
  const { server, url } = await startServer(options);
  let result: Record<string, unknown> = {};
  let serverCpu: number | undefined;
  try {
    const cpu0 = server.cpuSeconds();
    const client = await runChild(
      process.execPath,
      [
        HTTP_CLIENT,
        '--url',
        url,
        '--file',
        options.file,
        '--mode',
        options.mode,
        '--events',
        String(options.events),
        '--warmup',
        String(options.warmup),
        '--concurrency',
        String(options.concurrency),
        '--batch',
        String(options.batch),
        '--timeout-ms',
        String(options.timeoutMs),
      ],
      { timeoutMs: options.timeoutMs + 30_000 },
    );
    const cpu1 = server.cpuSeconds();
    // The client's own clock covers the timed requests only; the server's CPU over the whole client run
    // (warm-up included) is a rough share, hence no ratio is drawn from it.
    serverCpu = cpu0 !== undefined && cpu1 !== undefined ? round(cpu1 - cpu0, 2) : undefined;
    result = JSON.parse(client.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
  } finally {
    const stopped = await server.stop();
    if (stopped.code !== 0 && stopped.stderr.trim() !== '') {
      process.stderr.write(`bench: serve (${name}) stderr: ${stopped.stderr.trim().slice(-1000)}\n`);
    }
    result['server_peak_rss_mb'] = stopped.peakRssMb ?? null;
    // Over the server's whole life (warm-up and shutdown included), as its RSS.
    result['server_written_mb'] = stopped.writtenMb ?? null;
  }
  const { events, seconds, events_per_s, mode: _mode, ...rest } = result;
  return {
    bench: name,
    events,
    seconds,
    events_per_s,
    ...rest,
    ...(options.stub ? { server: 'stub (bench/stub-server.ts)' } : { durability: options.durability }),
    ...(serverCpu === undefined ? {} : { server_cpu_s: serverCpu }),
  };
}
