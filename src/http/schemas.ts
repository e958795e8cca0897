/** JSON Schemas of the HTTP bodies (requests are validated; responses are serialized with them). */
const issue = {
  type: 'object',
  required: ['code', 'path', 'message'],
  properties: { code: { type: 'string' }, path: { type: 'string' }, message: { type: 'string' } },
};

export const verdictSchema = {
  type: 'object',
  required: ['status', 'id'],
  properties: {
    status: { type: 'string', enum: ['accepted', 'duplicate', 'rejected'] },
    id: { type: ['string', 'null'] },
    position: { type: ['integer', 'null'] },
    warnings: { type: 'array', items: issue },
    errors: { type: 'array', items: issue },
  },
};

export const batchResultSchema = {
  type: 'object',
  required: ['results', 'accepted', 'duplicates', 'rejected'],
  properties: {
    results: { type: 'array', items: verdictSchema },
    accepted: { type: 'integer' },
    duplicates: { type: 'integer' },
    rejected: { type: 'integer' },
  },
};

export const cloudEventSchema = {
  type: 'object',
  required: ['specversion', 'id', 'source', 'type', 'data', 'position', 'recordedat'],
  additionalProperties: true,
  properties: {
    specversion: { type: 'string' },
    id: { type: 'string' },
    source: { type: 'string' },
    type: { type: 'string' },
    position: { type: 'integer' },
    recordedat: { type: 'string' },
    causationid: { type: 'string' },
    data: { type: 'object', additionalProperties: true },
  },
};

/** `after` and `limit` of a paged read (GET /v1/events, GET /v1/rejections): a cursor and a page size. */
export function pagingProperties(pageMax: number) {
  return {
    // Positions and sequence numbers are exact below 2^53; a larger `after` would come back rounded as `next`.
    after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
    limit: { type: 'integer', minimum: 1, maximum: pageMax, default: 100 },
  } as const;
}

export const eventsPageSchema = {
  type: 'object',
  required: ['events', 'next'],
  properties: { events: { type: 'array', items: cloudEventSchema }, next: { type: 'integer' } },
};

export const rejectionsPageSchema = {
  type: 'object',
  required: ['rejections', 'next'],
  properties: {
    rejections: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          seq: { type: 'integer' },
          received_at: { type: 'string' },
          origin: { type: 'string' },
          id: { type: ['string', 'null'] },
          raw: { type: 'string' },
          raw_encoding: { type: 'string', enum: ['utf8', 'base64'] },
          errors: { type: 'array', items: issue },
        },
      },
    },
    next: { type: 'integer' },
    previous: { type: ['integer', 'null'] },
  },
};

/** Events carrying each warning code, by code (SPEC §3: warnings are visible in the report). */
const warningCountsSchema = {
  type: 'object',
  description: 'events carrying each warning code, by code; codes without events are absent',
  additionalProperties: { type: 'integer' },
};

/** The counts of leads a webinar's report totals and the list of webinars share. */
const LEAD_COUNTS = [
  'registered',
  'entered',
  'completed',
  'attended',
  'not_attended',
  'unclassified',
] as const;
const integers = (keys: readonly string[]) => Object.fromEntries(keys.map((k) => [k, { type: 'integer' }]));

export const webinarsListSchema = {
  type: 'object',
  required: ['webinars', 'next'],
  properties: {
    webinars: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          webinar_id: { type: 'string' },
          ...integers([...LEAD_COUNTS, 'awaiting_evaluation']),
        },
      },
    },
    next: { type: ['string', 'null'] },
  },
} as const;

export const reportSchema = {
  type: 'object',
  required: ['webinar_id', 'totals', 'leads', 'next'],
  properties: {
    webinar_id: { type: 'string' },
    totals: {
      type: 'object',
      properties: {
        ...integers([...LEAD_COUNTS, 'anonymous_entries']),
        warnings: warningCountsSchema,
      },
    },
    leads: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          lead_id: { type: 'string' },
          registered: { type: 'boolean' },
          entries: { type: 'integer' },
          lefts: { type: 'integer' },
          completions: { type: 'integer' },
          forms: { type: 'integer' },
          attended: { type: ['boolean', 'null'] },
          classified_at: { type: ['string', 'null'] },
          route: { type: ['string', 'null'] },
          warnings: warningCountsSchema,
        },
      },
    },
    next: { type: ['string', 'null'] },
  },
};

/** GET /v1/webinars/:webinar_id/evaluations: the recorded evaluation requests, oldest first. */
const evaluationRecordSchema = {
  type: 'object',
  required: ['id', 'webinar_id', 'requested_at', 'requester', 'at_position'],
  properties: {
    id: { type: 'string' },
    webinar_id: { type: 'string' },
    requested_at: { type: 'string' },
    requester: { type: 'string' },
    at_position: { type: 'integer' },
  },
};

export const evaluationsListSchema = {
  type: 'object',
  required: ['webinar_id', 'evaluations'],
  properties: {
    webinar_id: { type: 'string' },
    evaluations: { type: 'array', items: evaluationRecordSchema },
  },
};

export const timelineSchema = {
  type: 'object',
  required: ['lead_id', 'events'],
  properties: {
    lead_id: { type: 'string' },
    webinar_id: { type: ['string', 'null'] },
    events: {
      type: 'array',
      items: {
        ...cloudEventSchema,
        properties: { ...cloudEventSchema.properties, warnings: { type: 'array', items: issue } },
      },
    },
  },
};

export const evaluationSchema = {
  type: 'object',
  required: ['webinar_id', 'classified'],
  properties: {
    webinar_id: { type: 'string' },
    classified: {
      type: 'array',
      items: {
        type: 'object',
        required: ['lead_id', 'attended', 'timestamp'],
        properties: {
          lead_id: { type: 'string' },
          attended: { type: 'boolean' },
          timestamp: { type: 'string' },
        },
      },
    },
  },
};

/** GET /readyz: 200 when every check passed; the same body with 503 names the failed ones. */
export const readinessSchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { enum: ['ready', 'not ready'] },
    checks: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'ok, or unavailable: why',
    },
  },
} as const;
