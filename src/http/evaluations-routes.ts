import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';
import { evaluationsListSchema } from './schemas.js';

/**
 * The explicit evaluations recorded beside the log (SPEC §6), so that the `causationid` of an `attended=false`
 * classification can be looked up.
 */
export function evaluationsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get(
    '/v1/webinars/:webinar_id/evaluations',
    {
      config: { scope: 'read' },
      schema: {
        summary:
          'Recorded explicit evaluations of a webinar, oldest first; each id is the causationid of the attended=false classifications it made',
        params: {
          type: 'object',
          required: ['webinar_id'],
          properties: { webinar_id: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: { 200: evaluationsListSchema },
      },
    },
    async (request) => {
      const { webinar_id } = request.params as { webinar_id: string };
      return { webinar_id, evaluations: await ctx.store.evaluations(webinar_id) };
    },
  );
}
