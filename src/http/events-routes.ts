import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONTRACT_CODES, EVENT_TYPES } from '../contract/index.js';
import type { JudgedInput, Verdict } from '../intake/index.js';
import { judgeValue } from '../pipeline/index.js';
import { jsonArrayElements } from './batch-elements.js';
import { BodyBudget, declaredBodyBytes } from './body-budget.js';
import { contentCoding, gunzipBody } from './content-coding.js';
import type { HttpContext } from './context.js';
import { EVENT_MEDIA_TYPES } from './media-types.js';
import { problem, sendProblem } from './problem.js';
import { batchResultSchema, eventsPageSchema, pagingProperties, verdictSchema } from './schemas.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function rejectionStatus(verdict: Extract<Verdict, { status: 'rejected' }>): number {
  return verdict.errors.every((e) => CONTRACT_CODES.has(e.code)) ? 422 : 409;
}

/** What a gzip body is guessed to inflate to, as a multiple of its size, before it is inflated. */
const GZIP_RATIO_GUESS = 10;

/** POST /v1/events (one event or a batch) and GET /v1/events (the log, for consumers). */
export function eventsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const ingest = (inputs: JudgedInput[]): Promise<Verdict[]> => ctx.ingest(inputs, 'http');

  /** 503 OVERLOADED with Retry-After: 1, counted by what was full. */
  const overloaded = (
    reply: FastifyReply,
    reason: 'pending_events' | 'body_memory',
    what: string,
  ): FastifyReply => {
    ctx.metrics.overloaded.inc({ reason });
    reply.header('retry-after', '1');
    return sendProblem(
      reply,
      problem(503, 'OVERLOADED', 'The service is at capacity', {
        detail: `${what}; retry after 1 s with the same ids`,
      }),
    );
  };

  const refuseWhenOverloaded = (reply: FastifyReply): FastifyReply | undefined => {
    const pending = ctx.pendingEvents();
    if (pending < ctx.limits.pendingEventsMax) return undefined;
    return overloaded(reply, 'pending_events', `${pending} events are waiting to be committed`);
  };

  // A binary-mode CloudEvent (its attributes in ce-* headers, the payload as the body) is not supported (SPEC
  // §2). Sent with a JSON media type, its payload would be judged as a structured event and answered with a
  // list of envelope errors; say what is wrong instead, before the body is read.
  const refuseBinaryMode = (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    if (request.headers['ce-specversion'] === undefined) return undefined;
    return sendProblem(
      reply,
      problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', {
        detail: `a binary-mode CloudEvent (ce-* headers) was sent; binary mode is not supported: send the event structured (the attributes and data in one JSON object) as one of ${EVENT_MEDIA_TYPES.join(', ')}`,
      }),
    );
  };

  /**
   * Bodies may be gzip-compressed (`Content-Encoding: gzip`); any other coding would be read as if it were JSON
   * text, so it is refused (RFC 9110 §15.5.16: 415, with Accept-Encoding) before the body is read.
   */
  const refuseEncodedBody = (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    const coding = contentCoding(request.headers['content-encoding']);
    if (typeof coding === 'string') return undefined;
    reply.header('accept-encoding', 'gzip, identity');
    return sendProblem(
      reply,
      problem(415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported media type', {
        detail: `the body is sent with Content-Encoding: ${coding.unsupported}; send it gzip-compressed or uncompressed`,
      }),
    );
  };

  const budget = new BodyBudget(ctx.limits.bodyMemoryBytes);
  const reservations = new WeakMap<FastifyRequest, number>();
  const reserveBody = (request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined => {
    // A gzip body also needs room for what it inflates to: a guess here (JSON compresses about tenfold), topped
    // up to the real size once it is inflated (topUpBody).
    const declared = declaredBodyBytes(request.headers['content-length'], ctx.limits.bodyBytes);
    const bytes =
      contentCoding(request.headers['content-encoding']) === 'gzip'
        ? Math.min(declared + Math.min(ctx.limits.bodyBytes, declared * GZIP_RATIO_GUESS), budget.capacity)
        : declared;
    if (!budget.take(bytes)) {
      return overloaded(
        reply,
        'body_memory',
        `${budget.reserved} bytes of request bodies are being received or handled`,
      );
    }
    reservations.set(request, bytes);
    ctx.metrics.bodyBytesReserved.set(budget.reserved);
    return undefined;
  };
  /** The inflated body counts against the budget too: false when the extra bytes do not fit now. */
  const topUpBody = (request: FastifyRequest, inflatedBytes: number): boolean => {
    const reserved = reservations.get(request) ?? 0;
    const needed = declaredBodyBytes(request.headers['content-length'], ctx.limits.bodyBytes) + inflatedBytes;
    // A need past the whole budget could never fit; the bytes are already in memory (at most 2 × the body limit).
    if (needed <= reserved || needed > budget.capacity) return true;
    if (!budget.take(needed - reserved)) return false;
    reservations.set(request, needed);
    ctx.metrics.bodyBytesReserved.set(budget.reserved);
    return true;
  };
  const releaseBody = async (request: FastifyRequest): Promise<void> => {
    const bytes = reservations.get(request);
    if (bytes === undefined) return;
    reservations.delete(request);
    budget.release(bytes);
    ctx.metrics.bodyBytesReserved.set(budget.reserved);
  };

  const quarantineUnreadable = async (raw: string, encoding: 'utf8' | 'base64', message: string) => {
    const errors = [{ code: 'MALFORMED_JSON' as const, path: '', message }];
    await ingest([{ raw, rawEncoding: encoding, judgement: { ok: false, id: null, errors } }]);
    return problem(400, 'MALFORMED_JSON', 'The body is not JSON', { detail: message, errors });
  };

  app.post(
    '/v1/events',
    {
      config: { scope: 'ingest' },
      // Back-pressure before the body is read: events waiting for their commit and the bytes of bodies in
      // flight are bounded, so an overload answers 503 instead of growing memory without bound.
      onRequest: async (request, reply) =>
        refuseBinaryMode(request, reply) ??
        refuseEncodedBody(request, reply) ??
        refuseWhenOverloaded(reply) ??
        reserveBody(request, reply),
      onResponse: releaseBody,
      onRequestAbort: releaseBody,
      schema: {
        summary: 'Submit one event (CloudEvents structured JSON) or a batch (JSON array)',
        response: { 200: { anyOf: [verdictSchema, batchResultSchema] }, 202: verdictSchema },
      },
    },
    async (request, reply) => {
      // Checked again once the body is in: requests read at the same time all passed the first check.
      if (refuseWhenOverloaded(reply) !== undefined) return reply;
      let body = request.body as Buffer | undefined;
      if (body !== undefined && contentCoding(request.headers['content-encoding']) === 'gzip') {
        const decoded = await gunzipBody(body, ctx.limits.bodyBytes);
        if (!decoded.ok && decoded.tooLarge) {
          return sendProblem(
            reply,
            problem(413, 'BODY_TOO_LARGE', 'The body is too large', { detail: decoded.message }),
          );
        }
        if (!decoded.ok) {
          return sendProblem(
            reply,
            await quarantineUnreadable(body.toString('base64'), 'base64', decoded.message),
          );
        }
        if (!topUpBody(request, decoded.body.length)) {
          return overloaded(
            reply,
            'body_memory',
            `${budget.reserved} bytes of request bodies are being handled`,
          );
        }
        body = decoded.body;
      }
      if (body === undefined || body.length === 0) {
        return sendProblem(reply, await quarantineUnreadable('', 'utf8', 'the body is empty'));
      }
      let text: string;
      try {
        text = decoder.decode(body);
      } catch {
        return sendProblem(
          reply,
          await quarantineUnreadable(body.toString('base64'), 'base64', 'the body is not UTF-8'),
        );
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        return sendProblem(
          reply,
          await quarantineUnreadable(text, 'utf8', `not JSON: ${(error as Error).message}`),
        );
      }
      if (Array.isArray(value)) {
        if (value.length > ctx.limits.batchEvents) {
          return sendProblem(
            reply,
            problem(413, 'BATCH_TOO_LARGE', 'Too many events in one batch', {
              detail: `a batch holds at most ${ctx.limits.batchEvents} events; this one has ${value.length}`,
            }),
          );
        }
        // A rejected element is quarantined as written in the body; the body is split only if one is.
        let elements: string[] | null | undefined;
        const rawElement = (i: number): string | undefined => {
          elements ??= jsonArrayElements(text, (value as unknown[]).length);
          return elements?.[i];
        };
        const verdicts = await ingest(value.map((element, i) => judgeValue(element, () => rawElement(i))));
        let accepted = 0;
        let duplicates = 0;
        for (const v of verdicts) {
          if (v.status === 'accepted') accepted++;
          else if (v.status === 'duplicate') duplicates++;
        }
        return reply.code(200).send({
          results: verdicts,
          accepted,
          duplicates,
          rejected: verdicts.length - accepted - duplicates,
        });
      }
      const [verdict] = await ingest([judgeValue(value, text)]);
      if (verdict!.status === 'accepted') return reply.code(202).send(verdict);
      if (verdict!.status === 'duplicate') return reply.code(200).send(verdict);
      const status = rejectionStatus(verdict!);
      const first = verdict!.errors[0]!;
      return sendProblem(
        reply,
        problem(
          status,
          first.code,
          status === 422 ? 'The event breaks the contract' : 'The event breaks an emission rule',
          {
            detail: first.message,
            id: verdict!.id,
            errors: verdict!.errors,
          },
        ),
      );
    },
  );

  app.get(
    '/v1/events',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'The log: every stored event (client and derived) in position order',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pagingProperties(ctx.limits.pageMax),
            type: { type: 'string', enum: [...EVENT_TYPES] },
          },
        },
        response: { 200: eventsPageSchema },
      },
    },
    async (request) => {
      const { after, limit, type } = request.query as { after: number; limit: number; type?: string };
      const page = await ctx.store.readEvents(after, limit, type);
      return {
        events: page.map((e) => e.event),
        next: page.length > 0 ? page[page.length - 1]!.position : after,
      };
    },
  );
}
