import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/webinar-events.js', import.meta.url));

/** A real `webinar-events serve` child process on 127.0.0.1. */
export class ServerProcess {
  private child: ChildProcess | null = null;
  readonly url: string;

  constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv = {},
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    this.child = spawn(process.execPath, [BIN, 'serve', '--port', String(this.port), ...this.args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) throw new Error(`server exited with ${this.child.exitCode}`);
      try {
        const response = await fetch(`${this.url}/healthz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`server on port ${this.port} did not start`);
  }

  /** SIGKILL: no shutdown code runs. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    this.child = null;
  }
}

/** Reads the whole log through GET /v1/events. */
export async function readWholeLog(
  url: string,
  headers: Record<string, string> = {},
): Promise<Array<Record<string, unknown>>> {
  const events: Array<Record<string, unknown>> = [];
  let after = 0;
  for (;;) {
    const response = await fetch(`${url}/v1/events?after=${after}&limit=1000`, { headers });
    if (response.status !== 200) throw new Error(`GET /v1/events answered ${response.status}`);
    const page = (await response.json()) as { events: Array<Record<string, unknown>>; next: number };
    events.push(...page.events);
    if (page.events.length === 0) return events;
    after = page.next;
  }
}
