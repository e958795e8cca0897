import { CLIENT_EVENT_TYPES, ERROR_CODES, eventJsonSchema } from '../contract/index.js';
import { EVENT_MEDIA_TYPES } from './media-types.js';
import { readinessSchema } from './schemas.js';

/**
 * What the routes' own schemas cannot say in the OpenAPI document that @fastify/swagger builds from them: the body of
 * POST /v1/events (read by the route itself, not by Fastify, so it declares no `body` schema), the problem documents
 * every route answers errors with (sent as they are, so they declare no response schema either).
 * Documentation only: nothing here validates or serializes.
 */

type Json = Record<string, unknown>;

const PROBLEM = '#/components/schemas/Problem';
const CLIENT_EVENT = '#/components/schemas/ClientEvent';

const problemSchema: Json = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is the stable code (README: "Error codes").',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: 'https://webinar-events.dev/problems/<code in kebab case>' },
    title: { type: 'string' },
    status: { type: 'integer', description: 'the HTTP status' },
    code: { type: 'string' },
    detail: { type: 'string' },
    id: { type: ['string', 'null'], description: 'the event id, for a rejected event' },
    errors: {
      type: 'array',
      description: 'every problem of a rejected event, each with a JSON pointer into it',
      items: {
        type: 'object',
        required: ['code', 'path', 'message'],
        properties: {
          code: { enum: Object.keys(ERROR_CODES) },
          path: { type: 'string', description: 'JSON pointer (RFC 6901)' },
          message: { type: 'string' },
        },
      },
    },
  },
};

/** The statuses every route may answer with a problem document, and what they mean there. */
const COMMON: Record<string, string> = {
  '400': 'INVALID_REQUEST or BAD_URL: a query parameter or path is invalid',
  '503': 'STORE_UNAVAILABLE, OVERLOADED or SHUTTING_DOWN: retry after the Retry-After header',
};

/** The statuses of a route that needs a token scope (its operation has `security`). */
const GUARDED: Record<string, string> = {
  '401': 'UNAUTHENTICATED: tokens are configured and none (or an unknown one) was sent',
  '403': 'FORBIDDEN: the token lacks the scope this route needs',
  '429': 'RATE_LIMITED: retry after the Retry-After header',
};

/** POST /v1/events answers these too (a single event; a batch is answered 200 with a verdict per element). */
const INTAKE: Record<string, string> = {
  '400': 'MALFORMED_JSON: the body is not JSON (or not UTF-8); the input is quarantined',
  '409': 'an emission rule refused the event (ID_CONFLICT, ALREADY_REGISTERED, REPEATED_IN_SESSION, …)',
  '413': 'BODY_TOO_LARGE',
  '415':
    'UNSUPPORTED_MEDIA_TYPE: another media type, a binary-mode CloudEvent, or a Content-Encoding other than gzip',
  '422': 'the event breaks the contract (INVALID_ENVELOPE, UNKNOWN_EVENT, RESERVED_EVENT, MISSING_FIELD, …)',
};

const problemResponse = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: PROBLEM } } },
});

/** An event schema as a component: its own `$schema` and `$id` would change the base of the document's refs. */
function component(schema: Json): Json {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

export function completeOpenApi(document: Json): Json {
  const components = (document['components'] ?? {}) as Json;
  const schemas = (components['schemas'] ?? {}) as Json;
  schemas['Problem'] = problemSchema;
  for (const type of CLIENT_EVENT_TYPES) schemas[type] = component(eventJsonSchema(type));
  schemas['ClientEvent'] = {
    description: 'A canonical client webinar event as a structured-mode CloudEvent 1.0',
    oneOf: CLIENT_EVENT_TYPES.map((type) => ({ $ref: `#/components/schemas/${type}` })),
  };
  document['components'] = { ...components, schemas };

  const paths = (document['paths'] ?? {}) as Record<string, Record<string, Json>>;
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const intake = path === '/v1/events' && method === 'post';
      const responses = (operation['responses'] ?? {}) as Json;
      const statuses = {
        ...COMMON,
        ...(operation['security'] === undefined ? {} : GUARDED),
        ...(intake ? INTAKE : {}),
      };
      for (const [status, description] of Object.entries(statuses)) {
        responses[status] ??= problemResponse(description);
      }
      if (path === '/readyz') {
        responses['200'] = {
          description: 'ready: every check passed',
          content: { 'application/json': { schema: readinessSchema } },
        };
        responses['503'] = {
          description: 'not ready (the body names the failed checks), or SHUTTING_DOWN (a problem document)',
          content: {
            'application/json': { schema: readinessSchema },
            'application/problem+json': { schema: { $ref: PROBLEM } },
          },
        };
      }
      operation['responses'] = responses;
      if (intake) operation['requestBody'] = intakeBody();
    }
  }
  return document;
}

function intakeBody(): Json {
  const one = { $ref: CLIENT_EVENT };
  const batch = { type: 'array', items: one, description: 'a batch: each element judged on its own' };
  const content: Json = {};
  for (const type of EVENT_MEDIA_TYPES) {
    content[type] = {
      schema:
        type === 'application/cloudevents+json'
          ? one
          : type === 'application/cloudevents-batch+json'
            ? batch
            : { oneOf: [one, batch] },
    };
  }
  return {
    required: true,
    description:
      'One event (a JSON object) or a batch (a JSON array), optionally gzip-compressed (Content-Encoding: gzip). ' +
      'Whatever the body holds is answered: what fails the schema is quarantined with its errors, not refused unread.',
    content,
  };
}
