import type { FastifyInstance } from 'fastify';
import type { ServerResponse } from 'node:http';
import { Gauge } from 'prom-client';
import { EVENT_TYPES } from '../contract/index.js';
import type { FeedEvent } from '../store/port.js';
import type { HttpContext } from './context.js';
import { problem, sendProblem } from './problem.js';
import { warnedEvent } from './warned-event.js';

export interface StreamOptions {
  /** How often the store's head is polled while streams are open (events may come from other processes). */
  readonly pollMs?: number;
  /** How often a comment is sent to keep idle connections (and proxies) open. */
  readonly heartbeatMs?: number;
  /** Most streams open at once; beyond, 503. */
  readonly maxStreams?: number;
}

const DEFAULTS = { pollMs: 250, heartbeatMs: 15_000, maxStreams: 200 } as const;
/** Events read from the store per query while catching up. */
const PAGE = 500;
/** Most positions `tail` may reach back. */
const TAIL_MAX = 1000;
/** What an SSE client is told to wait before reconnecting. */
const RETRY_MS = 2000;

export interface StreamFilter {
  /** null: every type. */
  readonly types: ReadonlySet<string> | null;
  readonly webinarId?: string;
  readonly leadId?: string;
}

/** Whether a stored event passes a stream's filter; webinar and lead are matched on its `data`. */
export function streamMatches(filter: StreamFilter, event: Record<string, unknown>): boolean {
  if (filter.types !== null && !filter.types.has(String(event['type']))) return false;
  const data = (event['data'] ?? {}) as Record<string, unknown>;
  if (filter.webinarId !== undefined && data['webinar_id'] !== filter.webinarId) return false;
  if (filter.leadId !== undefined && data['lead_id'] !== filter.leadId) return false;
  return true;
}

/** One SSE message: `id` is the log position, `event` the type, `data` the CloudEvent (with its warnings). */
export function sseMessage(feed: FeedEvent): string {
  return `id: ${feed.position}\nevent: ${String(feed.event['type'])}\ndata: ${JSON.stringify(warnedEvent(feed))}\n\n`;
}

/**
 * Rings every open stream when the log may have grown: when the in-process notifier rings (this process appended)
 * and when a poll of the store's head sees it move (another process appended). Runs only while streams are open.
 */
class Doorbell {
  private readonly streams = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private lastHead = -1;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly ctx: HttpContext,
    private readonly pollMs: number,
  ) {}

  add(wake: () => void): void {
    this.streams.add(wake);
    if (this.streams.size === 1) {
      this.unsubscribe = this.ctx.logNotifier?.subscribe(() => this.ring()) ?? null;
      this.schedule();
    }
  }

  remove(wake: () => void): void {
    this.streams.delete(wake);
    if (this.streams.size === 0) {
      this.unsubscribe?.();
      this.unsubscribe = null;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private ring(): void {
    for (const wake of [...this.streams]) wake();
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.tick(), this.pollMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      const head = await this.ctx.store.head();
      if (head !== this.lastHead) {
        this.lastHead = head;
        this.ring();
      }
    } catch {
      // The store being down shows in /readyz; the streams try again on the next tick.
    }
    if (this.streams.size > 0) this.schedule();
  }
}

interface StreamQuery {
  after?: number;
  tail?: number;
  type?: string;
  webinar_id?: string;
  lead_id?: string;
}

/** Waits until `res` can take more (or is gone). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * GET /v1/stream: Server-Sent Events of newly stored events (client and derived), in log order, each with
 * `id: <position>`, resumable with `Last-Event-ID` (or `?after=` for clients that cannot set headers) and
 * filterable by `type`, `webinar_id` and `lead_id`.
 */
export function streamRoutes(app: FastifyInstance, ctx: HttpContext, options: StreamOptions = {}): void {
  const pollMs = options.pollMs ?? DEFAULTS.pollMs;
  const heartbeatMs = options.heartbeatMs ?? DEFAULTS.heartbeatMs;
  const maxStreams = options.maxStreams ?? DEFAULTS.maxStreams;
  const doorbell = new Doorbell(ctx, pollMs);
  const open = new Set<ServerResponse>();
  const gaugeName = 'webinar_events_stream_clients';
  const gauge =
    (ctx.metrics.registry.getSingleMetric(gaugeName) as Gauge | undefined) ??
    new Gauge({
      name: gaugeName,
      help: 'Open Server-Sent Events streams (GET /v1/stream)',
      registers: [ctx.metrics.registry],
    });

  // Open streams never end by themselves: close them when the server closes, or it would wait for them forever.
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
  });

  app.get(
    '/v1/stream',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Server-Sent Events of newly stored events (client and derived), resumable and filterable',
        description:
          'Each message has `id` = the log position, `event` = the type and `data` = the CloudEvent (with `position`, ' +
          '`recordedat` and its `warnings`). It starts after the `Last-Event-ID` header, else after `after`, else ' +
          '`tail` positions before the head, else at the head (only new events). `type` takes one type or several, ' +
          'comma-separated; `webinar_id` and `lead_id` match the payload. A comment is sent every 15 s.',
        produces: ['text/event-stream'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'integer', minimum: 0 },
            tail: { type: 'integer', minimum: 0, maximum: TAIL_MAX },
            type: { type: 'string', minLength: 1, maxLength: 1024 },
            webinar_id: { type: 'string', minLength: 1, maxLength: 256 },
            lead_id: { type: 'string', minLength: 1, maxLength: 256 },
          },
        },
      },
    },
    async (request, reply) => {
      const query = request.query as StreamQuery;
      let types: Set<string> | null = null;
      if (query.type !== undefined) {
        types = new Set(query.type.split(',').map((t) => t.trim()));
        const unknown = [...types].filter((t) => !(EVENT_TYPES as readonly string[]).includes(t));
        if (unknown.length > 0) {
          return sendProblem(
            reply,
            problem(400, 'INVALID_REQUEST', 'The request is invalid', {
              detail: `unknown event type ${JSON.stringify(unknown[0])}; one of: ${EVENT_TYPES.join(', ')}`,
            }),
          );
        }
      }
      const filter: StreamFilter = { types, webinarId: query.webinar_id, leadId: query.lead_id };

      const lastEventId = request.headers['last-event-id'];
      let cursor: number;
      if (typeof lastEventId === 'string' && lastEventId.trim() !== '') {
        if (!/^\d{1,15}$/.test(lastEventId.trim())) {
          return sendProblem(
            reply,
            problem(400, 'INVALID_REQUEST', 'The request is invalid', {
              detail: 'Last-Event-ID must be a log position (the `id` of a message of this stream)',
            }),
          );
        }
        cursor = Number(lastEventId.trim());
      } else if (query.after !== undefined) {
        cursor = query.after;
      } else {
        const head = await ctx.store.head();
        cursor = query.tail !== undefined ? Math.max(0, head - query.tail) : head;
      }

      if (open.size >= maxStreams) {
        reply.header('retry-after', '5');
        return sendProblem(
          reply,
          problem(503, 'TOO_MANY_STREAMS', 'Too many open streams', {
            detail: `at most ${maxStreams} streams may be open at once; retry later`,
          }),
        );
      }

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: ${RETRY_MS}\n: streaming events after position ${cursor}\n\n`);
      open.add(res);
      gauge.inc();

      // Only one type: let the store filter. Several: read everything and filter here.
      const storeType = types !== null && types.size === 1 ? [...types][0] : undefined;
      let closed = false;
      let running = false;
      let again = false;
      let retry: NodeJS.Timeout | null = null;

      const pump = async (): Promise<void> => {
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            for (;;) {
              const page = await ctx.store.readEvents(cursor, PAGE, storeType);
              if (closed) return;
              for (const feed of page) {
                if (streamMatches(filter, feed.event)) {
                  if (!res.write(sseMessage(feed))) await drained(res);
                  if (closed) return;
                }
                cursor = feed.position;
              }
              if (page.length < PAGE) break;
            }
          } while (again && !closed);
        } catch (error) {
          request.log.warn({ err: error }, 'stream: reading the log failed; retrying');
          if (!closed && retry === null) {
            retry = setTimeout(() => {
              retry = null;
              void pump();
            }, 1000);
            retry.unref();
          }
        } finally {
          running = false;
        }
      };
      const wake = (): void => void pump();

      const heartbeat = setInterval(() => {
        res.write(`: heartbeat ${new Date().toISOString()}\n\n`);
      }, heartbeatMs);
      heartbeat.unref();

      res.on('close', () => {
        if (closed) return;
        closed = true;
        clearInterval(heartbeat);
        if (retry !== null) clearTimeout(retry);
        doorbell.remove(wake);
        open.delete(res);
        gauge.dec();
      });

      doorbell.add(wake);
      void pump();
    },
  );
}
