import { isRfc3339Instant, type WebinarType } from '../contract/index.js';
import { parseFormsCatalog, type FormsCatalog } from '../intake/index.js';
import { DeliveryQueue, type Queued } from './delivery-queue.js';
import { corrupt, drawFault, type FaultDecision, type FaultKind, type InvalidKind } from './faults.js';
import { between, deriveSeed, fmix32, hashString, mulberry32, pick, type Rng } from './prng.js';
import type { SimulatedEvent, SimulatedLine } from './types.js';

export interface SimulateOptions {
  /** Any string or number; every random choice follows from it. */
  readonly seed?: string | number;
  /** How many webinars; `Infinity` for an endless stream (stop consuming it). */
  readonly webinars?: number;
  /** Leads per webinar. */
  readonly leads?: number;
  /** The share (0..1) of events that get a fault. */
  readonly faults?: number;
  /** RFC 3339 instant at which the first webinar opens its registration. */
  readonly start?: string;
  /** How many events may wait for their delivery time at once: the bound on memory. */
  readonly window?: number;
}

export const SIMULATE_DEFAULTS = {
  seed: '42',
  webinars: 3,
  leads: 1000,
  faults: 0,
  start: '2026-11-26T10:00:00Z',
  window: 32768,
} as const;

export const MAX_LEADS = 10_000_000;

/** One line of the stream, with what the simulator did to it (for summaries and tests). */
export interface Emitted {
  readonly line: SimulatedLine;
  /** null for an event delivered as it happened. */
  readonly fault: FaultKind | null;
  /** How an `invalid` line is broken. */
  readonly invalid: InvalidKind | null;
}

/**
 * The post-webinar forms the simulator submits. `survey` allows re-submission and some leads send it twice:
 * judge the stream with this catalog (SPEC §3), or those re-submissions get FORM_ALREADY_SUBMITTED.
 */
export const SIMULATED_FORMS = {
  forms: {
    feedback: { resubmittable: false },
    survey: { resubmittable: true },
    materials_request: { resubmittable: false },
  },
} as const;

export function simulatedFormsCatalog(): FormsCatalog {
  return parseFormsCatalog(SIMULATED_FORMS, 'simulated forms catalog');
}

export const SIMULATED_SOURCES = {
  registration: '/registration-page',
  room: '/webinar-room',
  forms: '/webinar-forms',
} as const;

// Time, in seconds.
const HOUR = 3600;
const DAY = 24 * HOUR;
/** Webinar k (from 0) opens its registration at start + k × WEBINAR_SPACING and starts REGISTRATION_SPAN + 1 h later. */
const WEBINAR_SPACING = 2 * DAY;
const REGISTRATION_SPAN = 23 * HOUR;
const LIVE_LENGTH = 90 * 60;
const AUTO_LENGTH = 60 * 60;
/** Live: arrivals from 5 min before the start to 30 min after, most of them early. Auto: on demand over 20 h. */
const LIVE_ARRIVAL_SPAN = 35 * 60;
const AUTO_VIEWING_SPAN = 20 * HOUR;
/** A session that reaches this share of the content completes the webinar. */
const COMPLETION_SHARE = 0.8;

// Rates of the funnel.
const P_RETURNING = 0.1;
const P_REGISTERED = 0.95;
const P_ENTERS = 0.62;
const P_SLOT = 0.9;
const P_ANONYMOUS_SESSION = 0.04;
const P_VISITOR = 0.01;
const P_NETWORK_LOSS = 0.1;
const P_USER_EXIT = 0.42;
const P_REENTER = 0.75;
const P_LOST_LEFT = 0.02;
const P_COMPLETED_AFTER_LEFT = 0.5;
const P_FEEDBACK = 0.35;
const P_SURVEY = 0.2;
const P_SURVEY_AGAIN = 0.3;
const P_MATERIALS = 0.1;
const MAX_SESSIONS = 3;

const CHANNELS = [
  'landing_page',
  'email_campaign',
  'social_ads',
  'telegram_bot',
  'organic_search',
  'referral_link',
] as const;

// Stream labels for deriveSeed: each kind of randomness has its own stream.
const STREAM_TAG = 1;
const STREAM_WEBINAR = 2;
const STREAM_LEAD = 3;
const STREAM_FAULT = 4;

interface Config {
  readonly seedHash: number;
  readonly tag: string;
  readonly webinars: number;
  readonly leads: number;
  readonly faults: number;
  readonly start: number;
  readonly window: number;
}

function resolve(options: SimulateOptions): Config {
  const webinars = options.webinars ?? SIMULATE_DEFAULTS.webinars;
  const leads = options.leads ?? SIMULATE_DEFAULTS.leads;
  const faults = options.faults ?? SIMULATE_DEFAULTS.faults;
  const start = options.start ?? SIMULATE_DEFAULTS.start;
  const window = options.window ?? SIMULATE_DEFAULTS.window;
  if (!(webinars === Infinity || (Number.isSafeInteger(webinars) && webinars >= 1))) {
    throw new RangeError(`webinars must be a positive integer, not ${webinars}`);
  }
  if (!Number.isSafeInteger(leads) || leads < 1 || leads > MAX_LEADS) {
    throw new RangeError(`leads must be an integer from 1 to ${MAX_LEADS}, not ${leads}`);
  }
  if (!(faults >= 0 && faults <= 1))
    throw new RangeError(`faults must be a number from 0 to 1, not ${faults}`);
  if (!isRfc3339Instant(start) || Number.isNaN(Date.parse(start))) {
    throw new RangeError(`start must be an RFC 3339 instant such as 2026-11-26T10:00:00Z, not "${start}"`);
  }
  if (!Number.isSafeInteger(window) || window < 1) {
    throw new RangeError(`window must be a positive integer, not ${window}`);
  }
  const seedHash = hashString(String(options.seed ?? SIMULATE_DEFAULTS.seed));
  const tag = (deriveSeed(seedHash, STREAM_TAG) >>> 8).toString(16).padStart(6, '0');
  return { seedHash, tag, webinars, leads, faults, start: Math.floor(Date.parse(start) / 1000), window };
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
let isoDay = NaN;
let isoDayPrefix = '';

/** An instant in seconds as RFC 3339 UTC, whole seconds; the date part is formatted once per day. */
export function iso(seconds: number): string {
  const day = Math.floor(seconds / DAY);
  if (day !== isoDay) {
    isoDay = day;
    isoDayPrefix = new Date(day * DAY * 1000).toISOString().slice(0, 11);
  }
  const s = seconds - day * DAY;
  const h = Math.floor(s / HOUR);
  const m = Math.floor((s - h * HOUR) / 60);
  return `${isoDayPrefix}${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[s - h * HOUR - m * 60]}Z`;
}

/**
 * A pseudo-random permutation of [0, size): a 4-round Feistel network over the smallest even number of bits that
 * covers `size`, cycle-walking past the values out of range. Needs no memory, whatever the size.
 */
export function permute(index: number, size: number, keys: readonly number[]): number {
  if (size <= 1) return 0;
  const bits = Math.max(2, Math.ceil(Math.log2(size)));
  const half = Math.ceil(bits / 2);
  const mask = (1 << half) - 1;
  let x = index;
  do {
    let left = x >>> half;
    let right = x & mask;
    for (const key of keys) {
      const next = left ^ (fmix32(right ^ key) & mask);
      left = right;
      right = next;
    }
    x = left * (mask + 1) + right;
  } while (x >= size);
  return x;
}

interface Webinar {
  readonly index: number;
  readonly id: string;
  readonly type: WebinarType;
  readonly openAt: number;
  readonly startAt: number;
  readonly length: number;
  readonly slotId: string | undefined;
  readonly sessionPrefix: string;
  /** Keys of the Feistel permutation that gives the order in which leads arrive in the room. */
  readonly arrivalKeys: readonly number[];
}

function webinarPlan(cfg: Config, index: number): Webinar {
  const rng = mulberry32(deriveSeed(cfg.seedHash, STREAM_WEBINAR, index));
  // The first two are one of each type, so any stream of two or more webinars has both.
  const typeDraw = rng();
  const type: WebinarType = index === 0 ? 'live' : index === 1 ? 'auto' : typeDraw < 0.5 ? 'live' : 'auto';
  const number = String(index + 1).padStart(3, '0');
  const openAt = cfg.start + index * WEBINAR_SPACING;
  const startAt = openAt + REGISTRATION_SPAN + HOUR;
  const arrivalKeys = [0, 1, 2, 3].map((round) => deriveSeed(cfg.seedHash, STREAM_WEBINAR, index, round));
  const s = iso(startAt);
  return {
    index,
    id: `W-${cfg.tag}-${number}`,
    type,
    openAt,
    startAt,
    length: type === 'live' ? LIVE_LENGTH : AUTO_LENGTH,
    slotId:
      type === 'live'
        ? `slot-${s.slice(0, 10).replaceAll('-', '')}-${s.slice(11, 16).replace(':', '')}`
        : undefined,
    sessionPrefix: `S-${cfg.tag}-${number}-`,
    arrivalKeys,
  };
}

interface Lead {
  readonly index: number;
  readonly id: string;
  readonly registered: boolean;
  readonly enters: boolean;
  readonly channel: string;
  readonly withSlot: boolean;
  readonly registeredAt: number;
  readonly arrivalJitter: number;
  /** Continues after the profile's draws: the lead's behaviour in the room. */
  readonly rng: Rng;
}

/** The lead's profile, drawn the same way in both passes over a webinar's leads. */
function leadProfile(cfg: Config, web: Webinar, index: number): Lead {
  const rng = mulberry32(deriveSeed(cfg.seedHash, STREAM_LEAD, web.index, index));
  const returning = rng() < P_RETURNING && web.index > 0;
  const registered = rng() < P_REGISTERED;
  const entersDraw = rng();
  const channel = pick(rng, CHANNELS);
  const withSlot = rng() < P_SLOT;
  const registeredAt = web.openAt + Math.floor((REGISTRATION_SPAN * (index + rng())) / cfg.leads);
  const arrivalJitter = rng();
  const number = (returning ? web.index - 1 : web.index) * cfg.leads + index;
  return {
    index,
    id: `L-${String(number).padStart(6, '0')}`,
    registered,
    // A lead who never registered is a walk-in: they exist in the stream only because they enter.
    enters: registered ? entersDraw < P_ENTERS : true,
    channel,
    withSlot,
    registeredAt,
    arrivalJitter,
    rng,
  };
}

/** When the lead at arrival rank `rank` enters: increasing in the rank, so the room fills in order. */
function arrivalAt(cfg: Config, web: Webinar, rank: number, jitter: number): number {
  const x = (rank + jitter) / cfg.leads;
  return web.type === 'live'
    ? web.startAt - 5 * 60 + Math.floor(x * x * LIVE_ARRIVAL_SPAN)
    : web.startAt + Math.floor(x * AUTO_VIEWING_SPAN);
}

function event(
  id: string,
  source: string,
  type: string,
  time: string,
  data: Record<string, unknown>,
  sessionid?: string,
): SimulatedEvent {
  return sessionid === undefined
    ? { specversion: '1.0', id, source, type, time, data }
    : { specversion: '1.0', id, source, type, time, sessionid, data };
}

function registration(web: Webinar, lead: Lead): SimulatedEvent {
  const at = iso(lead.registeredAt);
  const data: Record<string, unknown> = { lead_id: lead.id, webinar_id: web.id, webinar_type: web.type };
  if (web.slotId !== undefined && lead.withSlot) data['slot_id'] = web.slotId;
  data['registered_at'] = at;
  data['source'] = lead.channel;
  return event(
    `${web.id}-${lead.id}-0`,
    SIMULATED_SOURCES.registration,
    'client_webinar_registered',
    at,
    data,
  );
}

/** An event of the lead's participation and the instant (seconds) it happened. */
interface Fact {
  readonly at: number;
  readonly event: SimulatedEvent;
}

function formPayload(rng: Rng, formId: string, revision: number): Record<string, unknown> {
  switch (formId) {
    case 'feedback': {
      const payload: Record<string, unknown> = {
        rating: pick(rng, [2, 3, 4, 4, 5, 5, 5]),
        would_recommend: rng() < 0.7,
      };
      if (rng() < 0.3) {
        payload['comment'] = pick(rng, [
          'Very useful, thank you!',
          'Too long for me.',
          'Could you share the slides?',
          'Great examples — спасибо!',
          'The sound dropped a few times.',
        ]);
      }
      return payload;
    }
    case 'survey':
      return {
        revision,
        answers: {
          role: pick(rng, ['owner', 'manager', 'specialist', 'student']),
          company_size: pick(rng, ['1', '2-10', '11-50', '51-250', '250+']),
          topics: ['pricing', 'automation', 'analytics', 'integrations'].filter(() => rng() < 0.5),
        },
      };
    default:
      return { format: pick(rng, ['pdf', 'video', 'slides']), email_opt_in: rng() < 0.6 };
  }
}

/**
 * The lead's participation from their first entry: sessions (re-entering after a network loss), left with its
 * reason, completed when a session reaches the completion point, and post-webinar forms. In time order.
 */
function participation(web: Webinar, lead: Lead, firstEntry: number): Fact[] {
  const rng = lead.rng;
  const facts: Fact[] = [];
  const live = web.type === 'live';
  const room = SIMULATED_SOURCES.room;
  let n = 0;
  const nextId = (): string => `${web.id}-${lead.id}-${++n}`;

  let contentEnd = (live ? web.startAt : firstEntry) + web.length;
  let completionPoint = contentEnd - Math.floor(web.length * (1 - COMPLETION_SHARE));
  let completedIn: string | undefined;
  let lastAt = firstEntry;
  let enteredAt = firstEntry;
  for (let session = 1; ; session++) {
    const sessionId = `${web.sessionPrefix}${lead.id.slice(2)}-${session}`;
    const anonymous = rng() < P_ANONYMOUS_SESSION;
    const enteredIso = iso(enteredAt);
    facts.push({
      at: enteredAt,
      event: event(
        nextId(),
        room,
        'client_webinar_entered',
        enteredIso,
        anonymous
          ? { webinar_id: web.id, timestamp: enteredIso }
          : { lead_id: lead.id, webinar_id: web.id, timestamp: enteredIso },
        sessionId,
      ),
    });

    const outcome = rng();
    const share = rng();
    const remaining = Math.max(0, contentEnd - enteredAt);
    let reason: 'network_loss' | 'user_exit' | 'session_end';
    let leftAt: number;
    if (outcome < P_NETWORK_LOSS && session < MAX_SESSIONS) {
      reason = 'network_loss';
      leftAt = enteredAt + Math.max(30, Math.floor(remaining * (0.05 + 0.85 * share)));
    } else if (outcome < P_NETWORK_LOSS + P_USER_EXIT) {
      reason = 'user_exit';
      leftAt = enteredAt + Math.max(20, Math.floor(remaining * (0.03 + 0.97 * share)));
    } else {
      reason = 'session_end';
      leftAt = Math.max(enteredAt + 20, contentEnd + Math.floor(share * 60));
    }
    const lostLeft = rng() < P_LOST_LEFT;
    const afterLeft = rng() < P_COMPLETED_AFTER_LEFT && reason === 'session_end';
    const completes = completedIn === undefined && enteredAt <= completionPoint && leftAt >= completionPoint;
    const completedAt = afterLeft
      ? leftAt + between(rng, 1, 20)
      : Math.min(leftAt, completionPoint + between(rng, 0, 30));
    const completed = (): Fact => {
      const at = iso(completedAt);
      return {
        at: completedAt,
        event: event(nextId(), room, 'client_webinar_completed', at, {
          lead_id: lead.id,
          webinar_id: web.id,
          webinar_type: web.type,
          session_id: sessionId,
          completed_at: at,
        }),
      };
    };
    if (completes && !afterLeft) facts.push(completed());
    if (!lostLeft) {
      const at = iso(leftAt);
      facts.push({
        at: leftAt,
        event: event(nextId(), room, 'client_webinar_left', at, {
          lead_id: lead.id,
          webinar_id: web.id,
          webinar_type: web.type,
          session_id: sessionId,
          left_at: at,
          leave_reason: reason,
        }),
      });
    }
    if (completes && afterLeft) facts.push(completed());
    if (completes) completedIn = sessionId;
    lastAt = Math.max(leftAt, completes ? completedAt : 0);

    if (reason !== 'network_loss') break;
    const gap = between(rng, 15, 240);
    if (!(rng() < P_REENTER) || leftAt + gap >= contentEnd) break;
    if (!live) {
      // On demand, the recording waits: the rest of it (and the completion point, if ahead) moves by the gap.
      contentEnd += gap;
      if (completionPoint > leftAt) completionPoint += gap;
    }
    enteredAt = leftAt + gap;
  }

  if (completedIn !== undefined) {
    let at = lastAt + between(rng, 60, 1200);
    const form = (formId: string, revision: number): void => {
      const time = iso(at);
      facts.push({
        at,
        event: event(nextId(), SIMULATED_SOURCES.forms, 'client_webinar_form_submitted', time, {
          lead_id: lead.id,
          webinar_id: web.id,
          webinar_type: web.type,
          session_id: completedIn,
          submitted_at: time,
          form_id: formId,
          form_payload: formPayload(rng, formId, revision),
        }),
      });
    };
    if (rng() < P_FEEDBACK) {
      form('feedback', 1);
      at += between(rng, 20, 300);
    }
    if (rng() < P_SURVEY) {
      form('survey', 1);
      at += between(rng, 300, 5400);
      if (rng() < P_SURVEY_AGAIN) {
        form('survey', 2);
        at += between(rng, 20, 300);
      }
    }
    if (rng() < P_MATERIALS) form('materials_request', 1);
  }
  return facts;
}

class Pending implements Emitted, Queued {
  constructor(
    readonly key: number,
    readonly seq: number,
    readonly line: SimulatedLine,
    readonly fault: FaultKind | null,
    readonly invalid: InvalidKind | null,
  ) {}
}

/**
 * A realistic, deterministic stream of client webinar events, webinar by webinar: first the registrations, in
 * time order, then the room, the leads' sessions interleaved by time through a bounded delivery queue. Memory
 * stays bounded by the queue's window whatever the number of webinars and leads: nothing else is kept.
 *
 * With `faults > 0` some events are re-sent (duplicate), retried with a later `time` (retry), delivered
 * before the lead's previous event (out_of_order), or followed by a broken copy (invalid).
 */
export function* simulate(options: SimulateOptions = {}): Generator<Emitted, void, undefined> {
  const cfg = resolve(options);
  const queue = new DeliveryQueue<Pending>();
  let seq = 0;
  const push = (
    key: number,
    line: SimulatedLine,
    fault: FaultKind | null,
    invalid: InvalidKind | null,
  ): void => queue.push(new Pending(key, seq++, line, fault, invalid));

  /** The copy a fault adds after an event delivered at `key`; out_of_order is the caller's. */
  const addCopy = (
    key: number,
    at: number,
    original: SimulatedEvent,
    fault: FaultDecision,
    rng: Rng,
  ): void => {
    switch (fault.kind) {
      case 'out_of_order': // without a later event of the lead to swap with, the event is re-sent instead
      case 'duplicate':
        push(key + fault.delay, original, 'duplicate', null);
        return;
      case 'retry':
        push(key + fault.delay, { ...original, time: iso(at + fault.delay) }, 'retry', null);
        return;
      case 'invalid':
        push(key + fault.delay, corrupt(original, fault.invalid, rng), 'invalid', fault.invalid);
        return;
      case null:
        return;
    }
  };
  const faultRng = (web: Webinar, lead: number): Rng =>
    mulberry32(deriveSeed(cfg.seedHash, STREAM_FAULT, web.index, lead));

  for (let w = 0; w < cfg.webinars; w++) {
    const web = webinarPlan(cfg, w);

    // Registrations, in time order.
    for (let i = 0; i < cfg.leads; i++) {
      const lead = leadProfile(cfg, web, i);
      if (lead.registered) {
        const rng = faultRng(web, i);
        const fault = drawFault(rng, cfg.faults);
        // A late registration is delivered after the lead's entry, in the second pass.
        if (!(fault.kind === 'out_of_order' && lead.enters)) {
          const reg = registration(web, lead);
          push(lead.registeredAt, reg, null, null);
          addCopy(lead.registeredAt, lead.registeredAt, reg, fault, rng);
        }
      }
      while (queue.size > cfg.window || queue.nextKey <= lead.registeredAt) yield queue.pop();
    }

    // The room: leads in order of arrival.
    for (let rank = 0; rank < cfg.leads; rank++) {
      const i = permute(rank, cfg.leads, web.arrivalKeys);
      const lead = leadProfile(cfg, web, i);
      if (!lead.enters) continue;
      const arrival = arrivalAt(cfg, web, rank, lead.arrivalJitter);
      const rng = faultRng(web, i);
      const regFault = drawFault(rng, cfg.faults);
      if (lead.registered && regFault.kind === 'out_of_order') {
        push(arrival + 5 + regFault.delay * 10, registration(web, lead), 'out_of_order', null);
      }
      const facts = participation(web, lead, arrival);
      if (lead.rng() < P_VISITOR) {
        // A visitor nobody knows: neither lead_id nor sessionid.
        const at = arrival + between(lead.rng, 0, 600);
        const time = iso(at);
        const visitor = event(
          `${web.id}-visitor-${i}`,
          SIMULATED_SOURCES.room,
          'client_webinar_entered',
          time,
          { webinar_id: web.id, timestamp: time },
        );
        push(at, visitor, null, null);
        addCopy(at, at, visitor, drawFault(rng, cfg.faults), rng);
      }
      deliverWithFaults(facts, rng);
      while (queue.size > cfg.window || queue.nextKey <= arrival) yield queue.pop();
    }
  }
  while (queue.size > 0) yield queue.pop();

  function deliverWithFaults(facts: Fact[], rng: Rng): void {
    const keys = facts.map((f) => f.at);
    const marks: (FaultKind | null)[] = facts.map(() => null);
    const copies: [number, Fact, FaultDecision][] = [];
    for (let k = 0; k < facts.length; k++) {
      const fault = drawFault(rng, cfg.faults);
      if (fault.kind === null) continue;
      if (fault.kind === 'out_of_order' && k + 1 < facts.length) {
        // The lead's next event overtakes this one.
        [keys[k], keys[k + 1]] = [keys[k + 1]!, keys[k]!];
        marks[k + 1] = 'out_of_order';
        k++;
        continue;
      }
      copies.push([k, facts[k]!, fault]);
    }
    for (let k = 0; k < facts.length; k++) push(keys[k]!, facts[k]!.event, marks[k]!, null);
    for (const [k, fact, fault] of copies) addCopy(keys[k]!, fact.at, fact.event, fault, rng);
  }
}

/** The stream's lines alone. */
export function* simulateLines(options: SimulateOptions = {}): Generator<SimulatedLine, void, undefined> {
  for (const emitted of simulate(options)) yield emitted.line;
}
