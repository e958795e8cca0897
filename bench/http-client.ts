/**
 * The HTTP load client of the bench, a process of its own so that it shares no event loop with the server or
 * the bench. Posts the events of an NDJSON file to POST /v1/events over keep-alive connections:
 *
 *   node dist/bench/http-client.js --url http://127.0.0.1:PORT --file events.ndjson --mode single|batch
 *        --events N [--warmup W] [--concurrency C] [--batch B] [--timeout-ms T]
 *
 * The first W events are sent untimed (warm-up), then N events are timed: `single` sends one event per request,
 * `batch` sends B events per request (a JSON array, application/cloudevents-batch+json); C connections, each
 * with one request in flight at a time (no pipelining). Every request, headers included, is built before the
 * clock starts.
 *
 * The client speaks HTTP/1.1 itself over node:net (as load generators such as autocannon do): node:http's client
 * costs ~70 µs of CPU per request, which on a small machine would cap the figure below what the server does.
 * Responses are read by Content-Length or chunked encoding; anything else is counted as an error.
 *
 * Prints one JSON line on stdout: counts by verdict, errors, seconds, rates and latency percentiles.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    file: { type: 'string' },
    mode: { type: 'string' },
    events: { type: 'string' },
    warmup: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '64' },
    batch: { type: 'string', default: '500' },
    'timeout-ms': { type: 'string', default: '600000' },
  },
});

function int(name: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be an integer, not ${text}`);
  return value;
}

const url = new URL('/v1/events', values.url ?? '');
if (url.protocol !== 'http:') throw new Error('--url must be http://HOST:PORT');
const host = url.hostname;
const port = Number(url.port || 80);
const mode = values.mode;
if (mode !== 'single' && mode !== 'batch') throw new Error('--mode must be single or batch');
const total = int('events', values.events);
const warmup = int('warmup', values.warmup);
const concurrency = Math.max(1, int('concurrency', values.concurrency));
const batchSize = mode === 'batch' ? Math.max(1, int('batch', values.batch)) : 1;
const deadline = Date.now() + int('timeout-ms', values['timeout-ms']);
const REQUEST_TIMEOUT_MS = 30_000;

// ---------------------------------------------------------------------------------------------------------------
// The requests: the first warmup + total lines of the file (blank lines skipped), built before timing.

const lines = readFileSync(values.file ?? '', 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
if (lines.length < warmup + total) {
  throw new Error(`${values.file} has ${lines.length} events; ${warmup + total} are needed`);
}

interface Body {
  /** The whole request: request line, headers and body. */
  readonly bytes: Buffer;
  readonly events: number;
}

const contentType = mode === 'batch' ? 'application/cloudevents-batch+json' : 'application/cloudevents+json';

function requests(from: number, count: number): Body[] {
  const out: Body[] = [];
  for (let i = from; i < from + count; i += batchSize) {
    const chunk = lines.slice(i, Math.min(i + batchSize, from + count));
    const body = Buffer.from(mode === 'batch' ? `[${chunk.join(',')}]` : chunk[0]!);
    const head = Buffer.from(
      `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: ${contentType}\r\n` +
        `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`,
      'latin1',
    );
    out.push({ bytes: Buffer.concat([head, body]), events: chunk.length });
  }
  return out;
}
const warmupRequests = requests(0, warmup);
const timedRequests = requests(warmup, total);
lines.length = 0;

// ---------------------------------------------------------------------------------------------------------------
// One keep-alive connection, one request at a time.

interface Response {
  readonly status: number;
  readonly body: Buffer;
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
const CRLF = Buffer.from('\r\n');

/** Parses one complete response at the start of `buf`; null when more bytes are needed. */
function parseResponse(buf: Buffer): { response: Response; used: number; close: boolean } | null {
  const headEnd = buf.indexOf(CRLFCRLF);
  if (headEnd === -1) return null;
  const head = buf.toString('latin1', 0, headEnd);
  const status = Number(head.slice(9, 12));
  const bodyStart = headEnd + 4;
  const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  const close = /\r\nconnection:\s*close/i.test(head);
  if (lengthMatch !== null) {
    const end = bodyStart + Number(lengthMatch[1]);
    if (buf.length < end) return null;
    return { response: { status, body: buf.subarray(bodyStart, end) }, used: end, close };
  }
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const parts: Buffer[] = [];
    let at = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf(CRLF, at);
      if (lineEnd === -1) return null;
      const size = parseInt(buf.toString('latin1', at, lineEnd), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size');
      const dataStart = lineEnd + 2;
      if (size === 0) {
        // No trailers are expected: the last chunk ends with one more CRLF.
        if (buf.length < dataStart + 2) return null;
        return { response: { status, body: Buffer.concat(parts) }, used: dataStart + 2, close };
      }
      if (buf.length < dataStart + size + 2) return null;
      parts.push(buf.subarray(dataStart, dataStart + size));
      at = dataStart + size + 2;
    }
  }
  if (status === 204 || status === 304)
    return { response: { status, body: Buffer.alloc(0) }, used: bodyStart, close };
  throw new Error(`a response without Content-Length or chunked encoding (HTTP ${status})`);
}

class Connection {
  private socket: Socket | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (r: Response) => void; reject: (e: Error) => void } | null = null;
  private timer: NodeJS.Timeout | null = null;

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      socket.setNoDelay(true);
      // Events of a socket that is no longer this connection's (closed by a `Connection: close`) are ignored.
      const current = (): boolean => this.socket === socket;
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.on('error', (error) => current() && this.fail(error));
        this.socket = socket;
        this.buffer = Buffer.alloc(0);
        resolve(socket);
      });
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => current() && this.data(chunk));
      socket.on('close', () => {
        if (!current()) return;
        this.socket = null;
        this.fail(new Error('the server closed the connection'));
      });
    });
  }

  private data(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    if (this.waiting === null) return;
    let parsed;
    try {
      parsed = parseResponse(this.buffer);
    } catch (error) {
      const socket = this.socket;
      this.socket = null;
      this.fail(error as Error);
      socket?.destroy();
      return;
    }
    if (parsed === null) return;
    this.buffer = this.buffer.subarray(parsed.used);
    if (parsed.close) {
      const socket = this.socket;
      this.socket = null;
      socket?.end();
    }
    const waiting = this.waiting;
    this.settle();
    waiting.resolve(parsed.response);
  }

  private settle(): void {
    this.waiting = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    if (waiting === null) return;
    this.settle();
    this.buffer = Buffer.alloc(0);
    waiting.reject(error);
  }

  async send(bytes: Buffer): Promise<Response> {
    const socket = this.socket ?? (await this.open());
    return new Promise<Response>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.timer = setTimeout(() => {
        this.fail(new Error(`no response within ${REQUEST_TIMEOUT_MS / 1000} s`));
        if (this.socket === socket) this.socket = null;
        socket.destroy();
      }, REQUEST_TIMEOUT_MS);
      socket.write(bytes);
    });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Load and tally.

interface Tally {
  accepted: number;
  duplicates: number;
  rejected: number;
  errors: number;
  statuses: Record<string, number>;
  firstProblem: string | undefined;
}

const newTally = (): Tally => ({
  accepted: 0,
  duplicates: 0,
  rejected: 0,
  errors: 0,
  statuses: {},
  firstProblem: undefined,
});

function count(tally: Tally, { status, body }: Response, events: number): void {
  tally.statuses[status] = (tally.statuses[status] ?? 0) + 1;
  if (mode === 'single') {
    if (status === 202) tally.accepted++;
    else if (status === 200) tally.duplicates++;
    else if (status === 409 || status === 422) tally.rejected++;
    else tally.errors++;
    if (status !== 202) tally.firstProblem ??= `HTTP ${status}: ${body.toString('utf8', 0, 300)}`;
    return;
  }
  if (status !== 200) {
    tally.errors++;
    tally.firstProblem ??= `HTTP ${status}: ${body.toString('utf8', 0, 300)}`;
    return;
  }
  try {
    const result = JSON.parse(body.toString('utf8')) as {
      accepted: number;
      duplicates: number;
      rejected: number;
    };
    tally.accepted += result.accepted;
    tally.duplicates += result.duplicates;
    tally.rejected += result.rejected;
    if (result.accepted + result.duplicates + result.rejected !== events)
      throw new Error('counts do not add up');
    if (result.accepted !== events)
      tally.firstProblem ??= `a batch of ${events}: ${JSON.stringify(result).slice(0, 300)}`;
  } catch (error) {
    tally.errors++;
    tally.firstProblem ??= `unreadable batch result: ${(error as Error).message}`;
  }
}

const connections = Array.from({ length: concurrency }, () => new Connection());

/** Sends every request, one loop per connection; the latency of each in ms. Resolves with the seconds taken. */
async function run(all: Body[], tally: Tally, latencies: Float64Array | null): Promise<number> {
  let next = 0;
  const started = performance.now();
  const loop = async (connection: Connection): Promise<void> => {
    while (next < all.length) {
      if (Date.now() > deadline) throw new Error('the client ran out of time');
      const index = next++;
      const request = all[index]!;
      const t0 = performance.now();
      try {
        const response = await connection.send(request.bytes);
        if (latencies !== null) latencies[index] = performance.now() - t0;
        count(tally, response, request.events);
      } catch (error) {
        if (latencies !== null) latencies[index] = performance.now() - t0;
        tally.errors++;
        tally.firstProblem ??= (error as Error).message;
      }
    }
  };
  await Promise.all(connections.slice(0, Math.min(concurrency, all.length)).map(loop));
  return (performance.now() - started) / 1000;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

const r2 = (x: number): number => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const warm = newTally();
  if (warmupRequests.length > 0) await run(warmupRequests, warm, null);
  const tally = newTally();
  const latencies = new Float64Array(timedRequests.length);
  const cpu0 = process.cpuUsage();
  const seconds = await run(timedRequests, tally, latencies);
  const cpu = process.cpuUsage(cpu0);
  latencies.sort();
  const count = timedRequests.length;
  let sum = 0;
  for (const l of latencies) sum += l;
  process.stdout.write(
    `${JSON.stringify({
      mode,
      requests: count,
      events: total,
      seconds: Math.round(seconds * 1000) / 1000,
      requests_per_s: Math.round(count / seconds),
      events_per_s: Math.round(total / seconds),
      p50_ms: r2(percentile(latencies, 50)),
      p90_ms: r2(percentile(latencies, 90)),
      p99_ms: r2(percentile(latencies, 99)),
      max_ms: r2(latencies[latencies.length - 1] ?? NaN),
      mean_ms: r2(sum / count),
      accepted: tally.accepted,
      duplicates: tally.duplicates,
      rejected: tally.rejected,
      errors: tally.errors,
      statuses: tally.statuses,
      ...(tally.firstProblem === undefined ? {} : { first_problem: tally.firstProblem }),
      warmup_events: warmup,
      warmup_errors: warm.errors,
      ...(warm.firstProblem === undefined ? {} : { warmup_first_problem: warm.firstProblem }),
      connections: Math.min(concurrency, count),
      batch: batchSize,
      client_cpu_s: Math.round((cpu.user + cpu.system) / 1e4) / 100,
    })}\n`,
  );
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`http-client: ${(error as Error).message}\n`);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const connection of connections) connection.close();
  });
