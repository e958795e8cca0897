/**
 * Plumbing shared by the drills: the `serve` child (output kept, SIGKILL by pid, always reaped), HTTP on
 * loopback through a keep-alive agent, time bounds, percentiles and the resident set of a child.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sigkillAll } from '../test/int/process-helpers.js';
import { ServiceChild } from '../test/int/service-child.js';

export type Json = Record<string, unknown>;

/** One JSON line of a drill's output: `{"drill":NAME, …figures, "ok":…}`. */
export interface Figures {
  readonly drill: string;
  readonly ok: boolean;
  readonly [figure: string]: unknown;
}

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
 * same address. Its stdout and stderr lines are kept (bounded); every incarnation is reaped by `cleanup()`.
 */
export class DrillServer extends ServiceChild {
  private constructor(
    readonly port: number,
    options: ServeOptions,
  ) {
    super({
      name: 'serve',
      args: ['serve', '--host', '127.0.0.1', '--port', String(port), ...options.args],
      env: options.env ?? {},
      keepLines: options.keepLines ?? 2000,
      debugEnv: 'DRILL_DEBUG',
      live,
    });
  }

  static async create(options: ServeOptions): Promise<DrillServer> {
    return new DrillServer(await freePort(), options);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Spawns the process and waits until `readyPath` answers 200 (at most `timeoutMs`). */
  async start(readyPath = '/readyz', timeoutMs = 30_000): Promise<void> {
    this.spawn();
    await this.waitForHttp(`${this.url}${readyPath}`, timeoutMs);
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

/** Every item of a paged read (`{<field>: [...], next}`), following `next` from 0. */
async function readAllPages(
  base: string,
  path: '/v1/events' | '/v1/rejections',
  field: 'events' | 'rejections',
  agent?: http.Agent,
): Promise<Json[]> {
  const items: Json[] = [];
  let after = 0;
  for (let page = 0; page < 100_000; page++) {
    const body = await getJson<Record<string, unknown> & { next: number }>(
      `${base}${path}?after=${after}&limit=1000`,
      agent,
    );
    const got = body[field] as Json[];
    if (got.length === 0) return items;
    items.push(...got);
    after = body.next;
  }
  throw new Error(`${path} did not end`);
}

/** The whole log through GET /v1/events (paged). */
export function readLog(base: string, agent?: http.Agent): Promise<Json[]> {
  return readAllPages(base, '/v1/events', 'events', agent);
}

/** The whole quarantine through GET /v1/rejections (paged). */
export function readRejections(base: string, agent?: http.Agent): Promise<Json[]> {
  return readAllPages(base, '/v1/rejections', 'rejections', agent);
}

/** One Prometheus series of GET /metrics (e.g. `webinar_events_verdicts_total{status="accepted"}`), or 0. */
export async function metric(base: string, series: string): Promise<number> {
  const answer = await httpRequest(`${base}/metrics`);
  const line = answer.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}
