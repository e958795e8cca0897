/**
 * A real listening server on 127.0.0.1 (random port) over a runtime on a temporary SQLite file, for the stream and
 * browser tests. Not a test file itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openRuntime, resolveConfig, type Runtime } from '../../src/config.js';
import { buildApp } from '../../src/http/app.js';

export type Json = Record<string, unknown>;

export class LiveServer {
  private constructor(
    readonly app: FastifyInstance,
    readonly runtime: Runtime,
    readonly url: string,
    private readonly dir: string,
  ) {}

  /** `env`: environment of resolveConfig (e.g. WEBINAR_EVENTS_TOKENS), never process.env. */
  static async start(env: Record<string, string> = {}): Promise<LiveServer> {
    const dir = mkdtempSync(join(tmpdir(), 'we-live-'));
    const runtime = await openRuntime(resolveConfig({ db: join(dir, 'events.sqlite') }, env));
    const app = await buildApp(runtime.httpContext());
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return new LiveServer(app, runtime, `http://127.0.0.1:${port}`, dir);
  }

  /** POSTs one event or a batch; returns status and body. */
  async post(body: unknown, token?: string): Promise<{ status: number; body: Json }> {
    const response = await fetch(`${this.url}/v1/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }

  async get<T = Json>(path: string, token?: string): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** Waits until the in-process classifier and router have caught up. */
  drain(): Promise<void> {
    return this.runtime.processors!.drain();
  }

  /**
   * Closes the server and the runtime. Unless `graceful`, connections still open are cut: a fetch client aborted a
   * moment before may have opened a fresh keep-alive socket the server would otherwise wait for.
   */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    const closing = this.app.close();
    if (options.graceful !== true) this.app.server.closeAllConnections();
    await closing;
    await this.runtime.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
