import type { FastifyInstance } from 'fastify';
import type { HttpContext } from './context.js';
import { evaluationSchema, reportSchema, webinarsListSchema } from './schemas.js';
import { attendanceReport, webinarList } from '../pipeline/report.js';

const webinarParams = {
  type: 'object',
  required: ['webinar_id'],
  properties: { webinar_id: { type: 'string', minLength: 1, maxLength: 256 } },
};

/** The webinars, explicit evaluation and the attendance report of a webinar. */
export function webinarsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  // Pages keyed by an id (webinar_id, lead_id): `after` the last one seen.
  const byIdPaging = {
    type: 'object',
    additionalProperties: false,
    properties: {
      after: { type: 'string', default: '' },
      limit: { type: 'integer', minimum: 1, maximum: ctx.limits.pageMax, default: 100 },
    },
  };

  app.post(
    '/v1/webinars/:webinar_id/evaluate',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'Explicit evaluation: attended=false for every lead with an entry and no completion yet',
        params: webinarParams,
        response: { 200: evaluationSchema },
      },
    },
    async (request) => {
      const { webinar_id } = request.params as { webinar_id: string };
      const requester = `http:${request.ip}${request.scopes ? `:${[...request.scopes].join('+')}` : ''}`;
      const derived = await ctx.evaluate(webinar_id, requester);
      return {
        webinar_id,
        classified: derived.map((e) => ({
          lead_id: e.data['lead_id'],
          attended: e.data['attended'],
          timestamp: e.data['timestamp'],
        })),
      };
    },
  );

  app.get(
    '/v1/webinars',
    {
      config: { scope: 'read' },
      schema: {
        summary:
          'The webinars with leads, in webinar_id order, each with its report totals and the leads awaiting an evaluation',
        querystring: byIdPaging,
        response: { 200: webinarsListSchema },
      },
    },
    async (request) => {
      const { after, limit } = request.query as { after: string; limit: number };
      return webinarList(ctx.store, after, limit);
    },
  );

  app.get(
    '/v1/webinars/:webinar_id/attendance',
    {
      config: { scope: 'read' },
      schema: {
        summary: 'Attendance report: totals and a page of leads with facts, verdict and route',
        params: webinarParams,
        querystring: byIdPaging,
        response: { 200: reportSchema },
      },
    },
    async (request) => {
      const { webinar_id } = request.params as { webinar_id: string };
      const { after, limit } = request.query as { after: string; limit: number };
      return attendanceReport(ctx.store, webinar_id, after, limit);
    },
  );
}
