import type { FastifyReply } from 'fastify';
import type { Issue } from '../contract/index.js';

export const PROBLEM_BASE = 'https://webinar-events.dev/problems/';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly code?: string;
  readonly id?: string | null;
  readonly errors?: readonly Issue[];
}

/** RFC 9457 problem details; `type` names the stable code. */
export function problem(status: number, code: string, title: string, extra: Partial<Problem> = {}): Problem {
  return { type: `${PROBLEM_BASE}${code.toLowerCase().replace(/_/g, '-')}`, title, status, code, ...extra };
}

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  return reply.code(body.status).type('application/problem+json').send(body);
}
