/**
 * `fuzz`: generated inputs (drills/fuzz-inputs.ts) POSTed to a fresh embedded server over HTTP. Every input must get
 * a verdict (accepted with a position, duplicate, or rejected with errors), never a 5xx; every rejected input must
 * be in the quarantine (GET /v1/rejections), and nothing else. Bodies the service refuses before judging (a media
 * type or content coding it does not take: 415, a body or batch over its limit: 413) are counted apart; a tenth of
 * the requests are sent gzip-compressed. Afterwards a probe checks the
 * service still judges as before (nothing planted under `__proto__` leaked into its objects).
 */
import { join } from 'node:path';
import { DEFAULT_HTTP_LIMITS } from '../src/http/context.js';
import {
  Deadline,
  DrillServer,
  httpRequest,
  newAgent,
  note,
  parseJson,
  readRejections,
  round,
  tempDir,
  type Answer,
  type Figures,
  type Json,
} from './common.js';
import { POLLUTION_MARK, fuzzReads, fuzzRequests, type FuzzRequest } from './fuzz-inputs.js';

/** The service's body limit (DEFAULT_HTTP_LIMITS.bodyBytes). */
const BODY_LIMIT = DEFAULT_HTTP_LIMITS.bodyBytes;

export interface FuzzOptions {
  readonly inputs: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
}

export const FUZZ_FULL: FuzzOptions = {
  inputs: 100_000,
  seed: Date.now() % 2 ** 31,
  concurrency: 12,
  timeoutMs: 175_000,
};

export const FUZZ_QUICK: FuzzOptions = { ...FUZZ_FULL, inputs: 3_000, timeoutMs: 60_000 };

interface Tally {
  requests: number;
  inputs: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  refused: number;
  without_verdict: number;
  http_5xx: number;
  statuses: Record<string, number>;
  examples: string[];
}

const isErrorList = (errors: unknown): boolean =>
  Array.isArray(errors) &&
  errors.length > 0 &&
  errors.every(
    (e: unknown) =>
      e !== null &&
      typeof e === 'object' &&
      typeof (e as Json)['code'] === 'string' &&
      typeof (e as Json)['path'] === 'string' &&
      typeof (e as Json)['message'] === 'string',
  );

/** One verdict of a batch result, or undefined when it is not a verdict. */
function verdictOf(result: unknown): 'accepted' | 'duplicate' | 'rejected' | undefined {
  if (result === null || typeof result !== 'object') return undefined;
  const r = result as Json;
  if (r['status'] === 'accepted' && typeof r['position'] === 'number') return 'accepted';
  if (r['status'] === 'duplicate' && typeof r['position'] === 'number') return 'duplicate';
  if (r['status'] === 'rejected' && isErrorList(r['errors'])) return 'rejected';
  return undefined;
}

/** Counts what one answer says about its request's inputs. */
function judge(request: FuzzRequest, answer: Answer, tally: Tally): void {
  tally.statuses[answer.status] = (tally.statuses[answer.status] ?? 0) + 1;
  const body = parseJson(answer.text);
  const count = (verdict: 'accepted' | 'duplicate' | 'rejected'): void => {
    if (verdict === 'accepted') tally.accepted++;
    else if (verdict === 'duplicate') tally.duplicates++;
    else tally.rejected++;
  };
  const noVerdict = (n: number, why: string): void => {
    tally.without_verdict += n;
    if (tally.examples.length < 5) {
      tally.examples.push(
        `${why}: ${answer.status} ${answer.text.slice(0, 300)} ← ${request.contentType} ${request.body
          .subarray(0, 200)
          .toString('utf8')}`,
      );
    }
  };
  if (answer.status >= 500) {
    tally.http_5xx++;
    noVerdict(request.inputs, '5xx');
    return;
  }
  if (answer.status === 415 || answer.status === 413) {
    if (request.refusable) {
      tally.refused += request.inputs;
      return;
    }
    noVerdict(request.inputs, 'refused a body it should judge');
    return;
  }
  if (body === undefined) return noVerdict(request.inputs, 'not a JSON object');
  if (answer.status === 200 && Array.isArray(body['results'])) {
    const results = body['results'] as unknown[];
    if (results.length !== request.inputs) return noVerdict(request.inputs, 'results do not match the batch');
    let missing = 0;
    for (const result of results) {
      const verdict = verdictOf(result);
      if (verdict === undefined) missing++;
      else count(verdict);
    }
    if (missing > 0) noVerdict(missing, 'a batch result without a verdict');
    return;
  }
  if (answer.status === 202 && verdictOf(body) === 'accepted') return count('accepted');
  if (answer.status === 200 && verdictOf(body) === 'duplicate') return count('duplicate');
  if (
    (answer.status === 400 && body['code'] === 'MALFORMED_JSON' && isErrorList(body['errors'])) ||
    ((answer.status === 422 || answer.status === 409) && isErrorList(body['errors']))
  ) {
    return count('rejected');
  }
  noVerdict(request.inputs, 'no verdict');
}

/** After the fuzz: a known batch must get exactly the known verdicts. */
async function probe(url: string): Promise<boolean> {
  const good = {
    specversion: '1.0',
    id: `probe-${Date.now()}`,
    source: '/drill-fuzz-probe',
    type: 'client_webinar_entered',
    data: { webinar_id: 'W-probe', timestamp: '2026-11-26T10:00:00Z' },
  };
  const noSpecversion = { ...good, id: `${good.id}-b`, specversion: undefined };
  const noWebinar = { ...good, id: `${good.id}-c`, data: { timestamp: '2026-11-26T10:00:00Z' } };
  const answer = await httpRequest(`${url}/v1/events`, {
    body: JSON.stringify([good, noSpecversion, noWebinar]),
    contentType: 'application/json',
  });
  const results = parseJson(answer.text)?.['results'] as Json[] | undefined;
  const codes = (r: Json | undefined): string =>
    ((r?.['errors'] as Json[] | undefined) ?? [])
      .map((e) => `${String(e['code'])}${String(e['path'])}`)
      .join();
  return (
    answer.status === 200 &&
    !answer.text.includes(POLLUTION_MARK) &&
    results?.[0]?.['status'] === 'accepted' &&
    codes(results[1]) === 'INVALID_ENVELOPE/specversion' &&
    codes(results[2]) === 'MISSING_FIELD/data/webinar_id' &&
    (await httpRequest(`${url}/readyz`)).status === 200
  );
}

export async function fuzzDrill(options: FuzzOptions = FUZZ_FULL): Promise<Figures> {
  const t0 = performance.now();
  const deadline = new Deadline(options.timeoutMs, 'fuzz drill');
  const dir = tempDir('fuzz');
  const server = await DrillServer.create({ args: ['--db', join(dir, 'fuzz.sqlite')] });
  const agent = newAgent(options.concurrency);
  const tally: Tally = {
    requests: 0,
    inputs: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    refused: 0,
    without_verdict: 0,
    http_5xx: 0,
    statuses: {},
    examples: [],
  };
  try {
    await server.start();
    note(`fuzz: ${options.inputs} inputs, seed ${options.seed}`);
    const requests = fuzzRequests(options.seed, options.inputs);
    let noAnswer = 0;
    let oversizedCut = 0;
    const worker = async (): Promise<void> => {
      for (let next = requests.next(); !next.done; next = requests.next()) {
        deadline.check();
        const request = next.value;
        tally.requests++;
        tally.inputs += request.inputs;
        let answer: Answer;
        try {
          answer = await httpRequest(`${server.url}/v1/events`, {
            body: request.body,
            contentType: request.contentType,
            ...(request.contentEncoding === undefined
              ? {}
              : { headers: { 'content-encoding': request.contentEncoding } }),
            agent,
            timeoutMs: 30_000,
          });
        } catch (error) {
          if (request.body.length > BODY_LIMIT) {
            // The service stops reading a body past its limit (413) and may close the connection while the
            // client is still writing it: the refusal arrives as a broken pipe.
            tally.refused += request.inputs;
            oversizedCut++;
            continue;
          }
          noAnswer++;
          tally.without_verdict += request.inputs;
          if (tally.examples.length < 5) tally.examples.push(`no answer: ${(error as Error).message}`);
          continue;
        }
        judge(request, answer, tally);
        if (tally.requests % 5000 === 0) note(`fuzz: ${tally.inputs} inputs sent`);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));

    // The reads and evaluations, with the same nasty ids in their paths and odd query values: never a 5xx, and
    // every error is a problem+json.
    const reads = fuzzReads(options.seed, Math.ceil(options.inputs / 50));
    let reads5xx = 0;
    let readsNotProblem = 0;
    const readStatuses: Record<string, number> = {};
    for (const read of reads) {
      deadline.check();
      const answer = await httpRequest(`${server.url}${read.path}`, { method: read.method, agent });
      readStatuses[answer.status] = (readStatuses[answer.status] ?? 0) + 1;
      if (answer.status >= 500) {
        reads5xx++;
        if (tally.examples.length < 5)
          tally.examples.push(`read 5xx: ${read.method} ${read.path.slice(0, 200)}`);
      }
      if (
        answer.status >= 400 &&
        !String(answer.headers['content-type']).startsWith('application/problem+json')
      ) {
        readsNotProblem++;
        if (tally.examples.length < 5) {
          tally.examples.push(
            `read ${answer.status} not problem+json: ${read.method} ${read.path.slice(0, 200)}`,
          );
        }
      }
    }
    const quarantine = await readRejections(server.url, agent);
    const malformedQuarantine = quarantine.filter(
      (r) => typeof r['raw'] !== 'string' || !Array.isArray(r['errors']) || r['errors'].length === 0,
    ).length;
    const probeOk = await probe(server.url);
    const errorLines = server.errorLines();
    await server.stop();
    const ok =
      tally.http_5xx === 0 &&
      reads5xx === 0 &&
      readsNotProblem === 0 &&
      tally.without_verdict === 0 &&
      noAnswer === 0 &&
      quarantine.length === tally.rejected &&
      malformedQuarantine === 0 &&
      probeOk &&
      tally.inputs >= options.inputs &&
      server.unexpectedExits.length === 0;
    return {
      drill: 'fuzz',
      seed: options.seed,
      requests: tally.requests,
      inputs: tally.inputs,
      accepted: tally.accepted,
      duplicates: tally.duplicates,
      rejected: tally.rejected,
      quarantined: quarantine.length,
      refused_before_judging: tally.refused,
      http_5xx: tally.http_5xx,
      inputs_without_verdict: tally.without_verdict,
      no_answer: noAnswer,
      oversized_cut: oversizedCut,
      http_statuses: tally.statuses,
      reads: reads.length,
      reads_5xx: reads5xx,
      reads_not_problem_json: readsNotProblem,
      read_statuses: readStatuses,
      probe_ok: probeOk,
      server_error_lines: errorLines.length,
      unexpected_exits: server.unexpectedExits.length,
      ...(tally.examples.length > 0 ? { examples: tally.examples } : {}),
      ...(errorLines.length > 0 ? { first_error_line: errorLines[0]!.slice(0, 1000) } : {}),
      inputs_per_s: Math.round(tally.inputs / ((performance.now() - t0) / 1000)),
      seconds: round((performance.now() - t0) / 1000),
      ok,
    };
  } finally {
    agent.destroy();
    await server.kill();
  }
}
