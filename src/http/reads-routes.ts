import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';
import { pagingProperties, rejectionsPageSchema, timelineSchema } from './schemas.js';
import { warnedEvent } from './warned-event.js';
import { problem, sendProblem } from './problem.js';
import { REJECTIONS_PAGE_BYTES, type RejectionRecord } from '../store/port.js';
import { parseRejectionFilter } from '../store/rejection-filter.js';

/**
 * The raw inputs' size as a page's byte budget counts it, or more (base64 text counts its own length, at least the
 * bytes it stands for): below the budget, nothing was cut from the page.
 */
function rawBytes(rejections: readonly RejectionRecord[]): number {
  let bytes = 0;
  for (const r of rejections) bytes += Buffer.byteLength(r.raw, 'utf8');
  return bytes;
}

/** A lead's timeline and the quarantine. */
export function readsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get(
    '/v1/leads/:lead_id/timeline',
    {
      config: { scope: 'read' },
      schema: {
        summary: "A lead's stored events in log order, with their warnings",
        params: {
          type: 'object',
          required: ['lead_id'],
          properties: { lead_id: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { webinar_id: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: { 200: timelineSchema },
      },
    },
    async (request) => {
      const { lead_id } = request.params as { lead_id: string };
      const { webinar_id } = request.query as { webinar_id?: string };
      const entries = await ctx.store.timeline(lead_id, webinar_id);
      return {
        lead_id,
        webinar_id: webinar_id ?? null,
        events: entries.map(warnedEvent),
      };
    },
  );

  app.get(
    '/v1/rejections',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'The quarantine: every rejected input, raw, with its errors',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...pagingProperties(ctx.limits.pageMax),
            // The page just before a seq, for reading newest first (a console, a tail): `previous` continues it.
            before: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
            code: {
              type: 'string',
              maxLength: 4096,
              // Checked by parseRejectionFilter, as the CLI's --code: known codes only, with a hint for lower case.
              description:
                'only rejections with an error of one of these codes (comma-separated, at most 32)',
            },
            origin: {
              type: 'string',
              minLength: 1,
              maxLength: 4096,
              // No control characters: no origin has them, and PostgreSQL refuses a NUL in text.
              pattern: '^[^\\u0000-\\u001F\\u007F]+$',
              description: 'only rejections whose origin starts with this (http, ingest:/path/to/file, …)',
            },
          },
        },
        response: { 200: rejectionsPageSchema },
      },
    },
    async (request, reply) => {
      const { after, limit, before, code, origin } = request.query as {
        after: number;
        limit: number;
        before?: number;
        code?: string;
        origin?: string;
      };
      const parsed = parseRejectionFilter(code, origin);
      if ('problem' in parsed) {
        return sendProblem(
          reply,
          problem(400, 'INVALID_REQUEST', 'The request is invalid', { detail: parsed.problem }),
        );
      }
      const { filter } = parsed;
      if (before !== undefined && after > 0) {
        return sendProblem(
          reply,
          problem(400, 'INVALID_REQUEST', 'The request is invalid', {
            detail: 'give after (read forward) or before (read backward), not both',
          }),
        );
      }
      // A filtered forward read takes the quarantine's head first: a page that examined everything up to it (fewer
      // matches than asked, not cut by size) says so in `next`, and a tail with a filter does not scan the same
      // non-matching rejections again on its next poll.
      const filtered = code !== undefined || origin !== undefined;
      const head = filtered && before === undefined ? await ctx.store.rejectionsHead() : undefined;
      const rejections =
        before === undefined
          ? await ctx.store.readRejections(after, limit, undefined, filter)
          : await ctx.store.readRejectionsBefore(before, limit, undefined, filter);
      const last = rejections[rejections.length - 1]?.seq;
      // Backward from here (as `before`): the page's first seq, or where an empty page stood; null when nothing is
      // older (one look-up along the primary key; with a filter, a scan down to the first older match).
      const from = rejections[0]?.seq ?? before ?? after + 1;
      const previous = from > 1 && (await ctx.store.hasRejectionsBefore(from, filter)) ? from : null;
      // Forward from here. An empty forward page gives back its `after`; an empty backward page means nothing
      // below `before` exists, so forward starts from 0.
      let next = last ?? (before === undefined ? after : 0);
      if (head !== undefined && rejections.length < limit && rawBytes(rejections) < REJECTIONS_PAGE_BYTES) {
        next = Math.max(next, head);
      }
      return { rejections, next, previous };
    },
  );
}
