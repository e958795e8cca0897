/**
 * One `webinar-events` child process (serve or worker) as the integration tests and the drills run it: its
 * stdout and stderr lines kept (bounded), SIGKILL or SIGTERM by its own pid, readiness by HTTP or by a log line.
 * Shared by test/int (ServerProcess, ScaleProcess) and drills/common.ts (DrillServer).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export type Json = Record<string, unknown>;

/** bin/webinar-events.js of this checkout (dist/test/int/service-child.js → ../../../bin). */
export const BIN = fileURLToPath(new URL('../../../bin/webinar-events.js', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface ServiceChildOptions {
  /** A name for messages ("api-1", "serve"). */
  readonly name: string;
  /** The CLI arguments: `serve --port P …` or `worker KIND …`. */
  readonly args: readonly string[];
  /** Added to this process's environment (LOG_LEVEL defaults to warn). */
  readonly env?: NodeJS.ProcessEnv;
  /** Keep at most this many output lines, dropping the oldest (default: all). */
  readonly keepLines?: number;
  /** When this environment variable is set, every output line is echoed to stderr, prefixed with the name. */
  readonly debugEnv?: string;
  /** A registry every running child is added to (and removed from on exit), for a SIGKILL-all on cleanup. */
  readonly live?: Set<ChildProcess>;
}

export class ServiceChild {
  private child: ChildProcess | null = null;
  /** Output lines (stdout and stderr) of every incarnation, in arrival order. */
  readonly lines: string[] = [];
  starts = 0;
  kills = 0;
  /** Incarnations that ended without being told to. */
  readonly unexpectedExits: string[] = [];
  readonly name: string;

  constructor(private readonly options: ServiceChildOptions) {
    this.name = options.name;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Spawns the process; does not wait for it to be ready. */
  spawn(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const child = spawn(process.execPath, [BIN, ...this.options.args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...this.options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.options.live?.add(child);
    this.starts++;
    const incarnation = this.starts;
    child.once('exit', (code, signal) => {
      this.options.live?.delete(child);
      if (this.child === child) {
        this.unexpectedExits.push(`${this.name}#${incarnation} exited (${code ?? signal})`);
        this.child = null;
      }
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split('\n');
        rest = parts.pop()!;
        for (const line of parts) this.keep(incarnation, line);
      });
      stream.on('end', () => {
        if (rest !== '') this.keep(incarnation, rest);
      });
    }
    this.child = child;
  }

  private keep(incarnation: number, line: string): void {
    this.lines.push(line);
    const max = this.options.keepLines;
    if (max !== undefined && this.lines.length > max) this.lines.splice(0, this.lines.length - max);
    const debug = this.options.debugEnv;
    if (debug !== undefined && process.env[debug])
      process.stderr.write(`[${this.name}#${incarnation}] ${line}\n`);
  }

  lastLines(): string {
    return this.lines.slice(-20).join('\n');
  }

  /** Waits until `url` answers 200 (at most `timeoutMs`); fails at once if the process exits. */
  async waitForHttp(url: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited while starting:\n${this.lastLines()}`);
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    throw new Error(`${this.name} did not become ready within ${timeoutMs} ms:\n${this.lastLines()}`);
  }

  /** Waits until every incarnation has printed `marker` (a worker: "worker started", its store open). */
  async waitForLine(marker: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.filter((l) => l.includes(marker)).length < this.starts) {
      if (!this.running) throw new Error(`${this.name} exited while starting:\n${this.lastLines()}`);
      if (Date.now() >= deadline) throw new Error(`${this.name} did not start:\n${this.lastLines()}`);
      await sleep(20);
    }
  }

  /** SIGKILL: no shutdown code runs. */
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

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. Resolves with the exit code (null if killed). */
  async stop(graceMs = 10_000): Promise<number | null> {
    const child = this.child;
    if (child === null) return null;
    this.child = null;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The JSON lines of its output (the service logs one JSON object per line). */
  jsonLines(): Json[] {
    const out: Json[] = [];
    for (const line of this.lines) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Json);
      } catch {
        // not a log line
      }
    }
    return out;
  }

  /** Lines logged at error level or above (pino: level ≥ 50, or the level's name). */
  errorLines(): string[] {
    return this.jsonLines()
      .filter((l) => {
        const level = l['level'];
        return typeof level === 'number' ? level >= 50 : level === 'error' || level === 'fatal';
      })
      .map((l) => JSON.stringify(l));
  }
}
