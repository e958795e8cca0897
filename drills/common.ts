/**
 * Plumbing shared by the drills: the `serve` child (output kept, SIGKILL by pid, always reaped), HTTP on
 * loopback through a keep-alive agent, time bounds, percentiles and the resident set of a child.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sigkillAll } from '../test/int/process-helpers.js';

export type Json = Record<string, unknown>;

/** One JSON line of a drill's output: `{"drill":NAME, …figures, "ok":…}`. */
export interface Figures {
  readonly drill: string;
  readonly ok: boolean;
  readonly [figure: string]: unknown;
}

/** bin/webinar-events.js of this checkout (dist/drills/common.js → ../../bin). */
export const BIN = fileURLToPath(new URL('../../bin/webinar-events.js', import.meta.url));

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Progress notes go to stderr, never to the JSON lines on stdout. */
export function note(message: string): void {
  if (process.env['DRILL_QUIET'] !== '1') process.stderr.write(`drill: ${message}\n`);
}

export const round = (x: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/** The p-th percentile (nearest rank) of `values`, sorted in place. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  values.sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * values.length));
  return values[Math.min(rank, values.length) - 1]!;
}

export function median(values: readonly number[]): number {
  return percentile([...values], 50);
}

/** Fails with `what` once `ms` have passed: every loop of a drill is bounded in time. */
export class Deadline {
  readonly at: number;
  constructor(
    ms: number,
    private readonly what: string,
  ) {
    this.at = Date.now() + ms;
  }
  get passed(): boolean {
    return Date.now() > this.at;
  }
  check(): void {
    if (this.passed) throw new Error(`${this.what}: out of time`);
  }
}

/** A temp dir removed by `cleanup()` (main calls it whatever happens). */
const tempDirs: string[] = [];
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `we-drill-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// The server child

const live = new Set<ChildProcess>();

const hooks = new Set<() => void>();

/** A synchronous hook `cleanup()` runs (e.g. bring back a service a drill stopped); remove it when done. */
export function onCleanup(hook: () => void): () => void {
  hooks.add(hook);
  return () => hooks.delete(hook);
}

/** SIGKILLs every child still running (by its own pid), runs the hooks and removes the temp dirs. */
export function cleanup(): void {
  sigkillAll(live);
  for (const hook of [...hooks]) {
    try {
      hook();
    } catch {
      // the drill reports its own failures
    }
  }
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The resident set of a process in MB (Linux /proc), or undefined once it is gone. */
export function rssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match === null ? undefined : round(Number(match[1]) / 1024, 1);
  } catch {
    return undefined;
  }
}

export interface ServeOptions {
  /** Arguments after `serve --port P`. */
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Keep at most this many output lines (the oldest are dropped). */
  readonly keepLines?: number;
}

/**
 * `webinar-events serve` on 127.0.0.1 and a fixed free port, so that it can be SIGKILLed and started again at the
 * same address. Its stdout and stderr lines are kept (bounded).
 */
export class DrillServer {
  private child: ChildProcess | null = null;
  readonly lines: string[] = [];
  /** Every line ever seen is also counted, for output checks after the kept window. */
  private readonly keepLines: number;
  starts = 0;
  kills = 0;
  /** How the last incarnation ended, if it ended without being told to. */
  unexpectedExits: string[] = [];

  private constructor(
    readonly port: number,
    private readonly options: ServeOptions,
  ) {
    this.keepLines = options.keepLines ?? 2000;
  }

  static async create(options: ServeOptions): Promise<DrillServer> {
    return new DrillServer(await freePort(), options);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process and waits until `readyPath` answers 200 (at most `timeoutMs`). */
  async start(readyPath = '/readyz', timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error('the server is already running');
    const child = spawn(
      process.execPath,
      [BIN, 'serve', '--host', '127.0.0.1', '--port', String(this.port), ...this.options.args],
      {
        env: { ...process.env, LOG_LEVEL: 'warn', ...this.options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    live.add(child);
    this.starts++;
    const incarnation = this.starts;
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (this.child === child) {
        this.unexpectedExits.push(`incarnation ${incarnation} exited (${code ?? signal})`);
        this.child = null;
      }
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        for (const line of parts) this.keep(line);
      });
      stream.on('end', () => {
        if (rest !== '') this.keep(rest);
      });
    }
    this.child = child;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) {
        throw new Error(`serve exited while starting:\n${this.lines.slice(-20).join('\n')}`);
      }
      try {
        const response = await fetch(`${this.url}${readyPath}`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    throw new Error(
      `serve did not become ready within ${timeoutMs} ms:\n${this.lines.slice(-20).join('\n')}`,
    );
  }

  private keep(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.keepLines) this.lines.splice(0, this.lines.length - this.keepLines);
    if (process.env['DRILL_DEBUG']) process.stderr.write(`[serve#${this.starts}] ${line}\n`);
  }

  /** SIGKILL, by pid: no shutdown code runs. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    this.kills++;
    await exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Output lines logged at error level (pino: level ≥ 50). */
  errorLines(): string[] {
    return this.lines.filter((line) => {
      if (!line.startsWith('{')) return false;
      try {
        const level = (JSON.parse(line) as Json)['level'];
        return typeof level === 'number' ? level >= 50 : level === 'error' || level === 'fatal';
      } catch {
        return false;
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP

export interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** Milliseconds from the request's start to the end of its answer. */
  readonly ms: number;
}

/** A keep-alive agent per drill: the sockets stay on loopback and are closed by `destroy()`. */
export function newAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

export interface RequestInit {
  readonly method?: string;
  readonly body?: string | Buffer;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly agent?: http.Agent;
  readonly timeoutMs?: number;
}

/** One HTTP request; rejects on a network error or after `timeoutMs` (default 20 s) without an answer. */
export function httpRequest(url: string, init: RequestInit = {}): Promise<Answer> {
  const started = performance.now();
  const body =
    init.body === undefined ? undefined : Buffer.isBuffer(init.body) ? init.body : Buffer.from(init.body);
  const headers: Record<string, string | number> = { ...init.headers };
  if (body !== undefined) {
    headers['content-length'] = body.length;
    if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  }
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: init.method ?? (body === undefined ? 'GET' : 'POST'),
        agent: init.agent ?? false,
        headers,
        timeout: init.timeoutMs ?? 20_000,
      },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(parts).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(new Error(`no answer within ${init.timeoutMs ?? 20_000} ms`)),
    );
    request.on('error', reject);
    request.end(body);
  });
}

export function parseJson(text: string): Json | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** GET that must answer 200 with a JSON object. */
export async function getJson<T = Json>(url: string, agent?: http.Agent): Promise<T> {
  const answer = await httpRequest(url, { agent });
  const body = parseJson(answer.text);
  if (answer.status !== 200 || body === undefined) {
    throw new Error(`GET ${url}: ${answer.status} ${answer.text.slice(0, 300)}`);
  }
  return body as T;
}

/** The whole log through GET /v1/events (paged). */
export async function readLog(base: string, agent?: http.Agent): Promise<Json[]> {
  const events: Json[] = [];
  let after = 0;
  for (let page = 0; page < 100_000; page++) {
    const body = await getJson<{ events: Json[]; next: number }>(
      `${base}/v1/events?after=${after}&limit=1000`,
      agent,
    );
    if (body.events.length === 0) return events;
    events.push(...body.events);
    after = body.next;
  }
  throw new Error('the log did not end');
}

/** The whole quarantine through GET /v1/rejections (paged). */
export async function readRejections(base: string, agent?: http.Agent): Promise<Json[]> {
  const rejections: Json[] = [];
  let after = 0;
  for (let page = 0; page < 100_000; page++) {
    const body = await getJson<{ rejections: Json[]; next: number }>(
      `${base}/v1/rejections?after=${after}&limit=1000`,
      agent,
    );
    if (body.rejections.length === 0) return rejections;
    rejections.push(...body.rejections);
    after = body.next;
  }
  throw new Error('the quarantine did not end');
}

/** One Prometheus series of GET /metrics (e.g. `webinar_events_verdicts_total{status="accepted"}`), or 0. */
export async function metric(base: string, series: string): Promise<number> {
  const answer = await httpRequest(`${base}/metrics`);
  const line = answer.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
