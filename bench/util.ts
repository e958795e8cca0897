/**
 * Plumbing shared by the benchmarks: child processes that are always reaped, temp files, timing, percentiles,
 * and the peak RSS of a child (through bench/rss-probe.ts).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sigkillAll } from '../test/int/process-helpers.js';

/** bin/webinar-events.js of this checkout (dist/bench/util.js → ../../bin). */
export const BIN = fileURLToPath(new URL('../../bin/webinar-events.js', import.meta.url));
/** The compiled HTTP load client, run as its own process. */
export const HTTP_CLIENT = fileURLToPath(new URL('./http-client.js', import.meta.url));
/** The stub server of the http-single-ceiling row. */
export const STUB_SERVER = fileURLToPath(new URL('./stub-server.js', import.meta.url));
/** Loaded with `node --import` into a measured child: writes its peak RSS when it exits. */
const RSS_PROBE = pathToFileURL(fileURLToPath(new URL('./rss-probe.js', import.meta.url))).href;

export const now = (): number => performance.now();

/** Prints progress notes on stderr when a person is watching (stderr is a terminal). */
export function note(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`bench: ${message}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// Children: every one is tracked, and killed (SIGKILL, by pid) when the run ends or fails.

const live = new Set<ChildProcess>();

export function killAllChildren(): void {
  sigkillAll(live);
}

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock seconds from spawn to exit. */
  readonly seconds: number;
  /** Peak resident set of the child in MB, when it was run with `rssProbe`. */
  readonly peakRssMb: number | undefined;
  /**
   * The child's own CPU seconds, user and system, when it was run with `rssProbe`: steadier than wall time on a
   * shared machine, and they say whether it was waiting (wall > CPU) or working.
   */
  readonly cpu: { readonly user: number; readonly system: number } | undefined;
  /**
   * MB the child caused to be written to storage (getrusage ru_oublock × 512), when it was run with `rssProbe`:
   * the WAL, its checkpoints and anything else. Beside the database's size it shows the write amplification.
   */
  readonly writtenMb: number | undefined;
}

/** MB from a count of 512-byte blocks written (getrusage ru_oublock, `process.resourceUsage().fsWrite`). */
export function writtenMb(blocks: number | undefined): number | undefined {
  return blocks !== undefined && Number.isFinite(blocks) && blocks >= 0
    ? round((blocks * 512) / 1e6, 1)
    : undefined;
}

export interface RunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Killed (SIGKILL) after this many ms; the run then fails. */
  readonly timeoutMs: number;
  /** Measure the peak RSS of this node child (node args only). */
  readonly rssProbe?: boolean;
  /** Keep at most this many characters of stdout (the rest is dropped). */
  readonly maxOutput?: number;
}

/** A running child with its output collected and its exit awaited. */
export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<Finished>;
  private readonly rssFile: string | undefined;

  constructor(command: string, args: readonly string[], options: RunOptions & { stdin?: 'ignore' }) {
    const started = now();
    this.rssFile = options.rssProbe
      ? join(tempRoot(), `rss-${process.pid}-${live.size}-${Date.now()}`)
      : undefined;
    const nodeArgs = this.rssFile !== undefined ? ['--import', RSS_PROBE, ...args] : [...args];
    const spawnOptions: SpawnOptions = {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        ...options.env,
        ...(this.rssFile !== undefined ? { BENCH_RSS_FILE: this.rssFile } : {}),
      },
    };
    const child = spawn(command, nodeArgs, spawnOptions);
    this.process = child;
    live.add(child);
    const max = options.maxOutput ?? 1 << 20;
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < max) stdout += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-64 * 1024);
    });
    const timer = setTimeout(() => {
      stderr += `\n(bench: killed after ${options.timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    this.exited = new Promise((resolve, reject) => {
      child.once('error', (error) => {
        clearTimeout(timer);
        live.delete(child);
        reject(error);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        live.delete(child);
        const seconds = (now() - started) / 1000;
        resolve({ code, signal, stdout, stderr, seconds, ...this.readProbe() });
      });
    });
  }

  get pid(): number {
    return this.process.pid ?? -1;
  }

  /** Whether the child is still running. */
  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The child's user + system CPU seconds so far, from /proc (Linux; undefined elsewhere). */
  cpuSeconds(): number | undefined {
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 14 and 15 of stat (utime, stime), counted from the state field (3): indexes 11 and 12.
      return (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      return undefined;
    }
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 10_000): Promise<Finished> {
    if (this.running) {
      this.process.kill('SIGTERM');
      const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }

  private readProbe(): Pick<Finished, 'peakRssMb' | 'cpu' | 'writtenMb'> {
    if (this.rssFile === undefined || !existsSync(this.rssFile))
      return { peakRssMb: undefined, cpu: undefined, writtenMb: undefined };
    try {
      const [kb, user, system, blocks] = readFileSync(this.rssFile, 'utf8').trim().split(' ').map(Number);
      const peakRssMb = kb !== undefined && Number.isFinite(kb) && kb > 0 ? round(kb / 1024, 1) : undefined;
      const cpu =
        user !== undefined && system !== undefined && Number.isFinite(user) && Number.isFinite(system)
          ? { user: round(user / 1e6, 2), system: round(system / 1e6, 2) }
          : undefined;
      return { peakRssMb, cpu, writtenMb: writtenMb(blocks) };
    } finally {
      rmSync(this.rssFile, { force: true });
    }
  }
}

/** Runs a child to its end; throws (with the tail of its stderr) unless it exits with one of `okCodes`. */
export async function runChild(
  command: string,
  args: readonly string[],
  options: RunOptions,
  okCodes: readonly number[] = [0],
): Promise<Finished> {
  const finished = await new Child(command, args, options).exited;
  if (finished.code === null || !okCodes.includes(finished.code)) {
    const tail = finished.stderr.trim().split('\n').slice(-8).join(' | ');
    throw new Error(
      `${args.slice(0, 2).join(' ')} exited with ${finished.code ?? finished.signal}${tail === '' ? '' : `: ${tail}`}`,
    );
  }
  return finished;
}

/** Runs the service CLI (bin/webinar-events.js) as a child of this node. */
export function runCli(args: readonly string[], options: RunOptions, okCodes?: readonly number[]) {
  return runChild(process.execPath, [BIN, ...args], options, okCodes);
}

// ---------------------------------------------------------------------------------------------------------------
// Temp files: one directory per run, removed at the end.

let root: string | undefined;
let rootParent: string = tmpdir();

export function setTempParent(dir: string): void {
  rootParent = dir;
}

export function tempRoot(): string {
  root ??= mkdtempSync(join(rootParent, 'webinar-events-bench-'));
  return root;
}

export function tempPath(name: string): string {
  return join(tempRoot(), name);
}

/** Removes an SQLite database with its -wal and -shm files. */
export function removeDb(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

/** Runs `work` on a fresh SQLite path in the temp dir, and removes that database afterwards, failed or not. */
export async function withTempDb<T>(name: string, work: (db: string) => Promise<T>): Promise<T> {
  const db = tempPath(name);
  try {
    return await work(db);
  } finally {
    removeDb(db);
  }
}

export function removeTempRoot(): void {
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Numbers.

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export { freePort } from '../test/int/process-helpers.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
