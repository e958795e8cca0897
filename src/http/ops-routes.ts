import type { FastifyInstance } from 'fastify';
import { asyncApiDocument, contractJsonSchema } from '../contract/index.js';
import { CLASSIFIER, RELAY, ROUTER } from '../pipeline/index.js';
import type { HttpContext } from './context.js';

/** Contract documents, health, readiness and metrics. Public: they reveal no event data. */
export function opsRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const schema = contractJsonSchema();
  const asyncapi = asyncApiDocument();
  app.get(
    '/v1/schema',
    { schema: { summary: 'JSON Schema (2020-12) of every event' } },
    async (_req, reply) => reply.type('application/schema+json').send(schema),
  );
  app.get('/v1/asyncapi', { schema: { summary: 'AsyncAPI 3 document of the bus' } }, async () => asyncapi);
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  app.get('/healthz', { schema: { summary: 'Liveness' } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    // No response schema: a 503 is either the readiness body or a problem document (shutting down), and a schema
    // would make the serializer fail on the latter. openapi-document.ts documents both answers.
    { schema: { summary: 'Readiness: the store (and the bus, when configured) answer' } },
    async (_req, reply) => {
      const checks: Record<string, string> = {};
      let ready = true;
      for (const check of ctx.readiness) {
        try {
          await check.check();
          checks[check.name] = 'ok';
        } catch (error) {
          ready = false;
          checks[check.name] =
            `unavailable: ${error instanceof Error ? error.message.slice(0, 200) : 'error'}`;
        }
      }
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    },
  );

  app.get('/metrics', { schema: { summary: 'Prometheus metrics' } }, async (_req, reply) => {
    try {
      const [head, checkpoints] = await Promise.all([ctx.store.head(), ctx.store.checkpoints()]);
      ctx.metrics.logHead.set(head);
      // The relay's checkpoint only where a relay runs (a bus is configured): a gauge stuck at 0 beside a growing
      // head would look like a relay falling behind.
      const relay = ctx.readiness.some((check) => check.name === 'bus');
      for (const processor of relay ? [CLASSIFIER, ROUTER, RELAY] : [CLASSIFIER, ROUTER]) {
        ctx.metrics.processorCheckpoint.set({ processor }, checkpoints[processor] ?? 0);
      }
      ctx.metrics.storeUp.set(1);
    } catch {
      // The store being down shows in /readyz and here as store_up 0 (the positions then are the last ones read);
      // the process metrics are still worth serving.
      ctx.metrics.storeUp.set(0);
    }
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
