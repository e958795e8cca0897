import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';
import { pagingProperties, rejectionsPageSchema, timelineSchema } from './schemas.js';
import { warnedEvent } from './warned-event.js';

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
          },
        },
        response: { 200: rejectionsPageSchema },
      },
    },
    async (request) => {
      const { after, limit } = request.query as { after: number; limit: number };
      const rejections = await ctx.store.readRejections(after, limit);
      return { rejections, next: rejections.length > 0 ? rejections[rejections.length - 1]!.seq : after };
    },
  );
}
