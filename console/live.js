/* global setTimeout, clearTimeout */
// Live: the events as they are stored, from GET /v1/stream; click one for its CloudEvent, warnings and lead timeline.
import { api, openStream, query } from './api.js';
import { EVENT_TYPES, TYPE_LABELS, h, jsonBlock, note, replace, shortTime, typeBadge } from './dom.js';

/** Rows kept in the list (older ones are dropped). */
const MAX_ROWS = 500;
/** How far back (in log positions) the stream starts when (re)started with new filters: matching events among them. */
const BACKLOG = 1000;

/** Webinar ids seen in the stream (offered in the Webinar view). */
export const seenWebinars = new Set();

/** A one-line summary of what an event says beyond its type. */
function summary(event) {
  const data = event.data ?? {};
  if (event.type === 'post_webinar_route') return `status=${data.status}`;
  if (event.type === 'client_webinar_attendance_classified') return `attended=${data.attended}`;
  if (event.type === 'client_webinar_left') return data.leave_reason ?? '';
  if (event.type === 'client_webinar_form_submitted') return `form ${data.form_id}`;
  if (event.type === 'client_webinar_entered') return event.sessionid ? `session ${event.sessionid}` : '';
  return data.session_id ? `session ${data.session_id}` : '';
}

function warningList(warnings) {
  if (!warnings || warnings.length === 0) return note('No warnings.');
  return h(
    'ul',
    { class: 'warnings' },
    warnings.map((w) =>
      h(
        'li',
        {},
        h('code', { class: 'code warn', text: w.code }),
        ' ',
        w.path ? h('code', { class: 'path', text: w.path }) : null,
        ' ',
        w.message,
      ),
    ),
  );
}

/**
 * Fills `panel` with one event: its envelope facts, warnings, the CloudEvent and the lead's timeline in that webinar.
 * `onPick(event)` is called when a timeline row is clicked (default: show that event here).
 */
export function showEvent(panel, event, onPick) {
  const pick = onPick ?? ((e) => showEvent(panel, e, onPick));
  const data = event.data ?? {};
  const { warnings, ...cloudEvent } = event;
  const timeline = h('div', { class: 'timeline' }, note('Loading the timeline…'));
  replace(
    panel,
    h('h2', {}, typeBadge(event.type), ' ', h('span', { class: 'mono', text: event.id })),
    h(
      'dl',
      { class: 'facts' },
      h('dt', { text: 'position' }),
      h('dd', { text: String(event.position ?? '') }),
      h('dt', { text: 'recorded' }),
      h('dd', { text: shortTime(event.recordedat) }),
      h('dt', { text: 'source' }),
      h('dd', { class: 'mono', text: event.source }),
      event.causationid
        ? [h('dt', { text: 'caused by' }), h('dd', { class: 'mono', text: event.causationid })]
        : null,
    ),
    h('h3', { text: `Warnings (${warnings?.length ?? 0})` }),
    warningList(warnings),
    h('h3', { text: 'CloudEvent' }),
    jsonBlock(cloudEvent),
    h('h3', {
      text: data.lead_id ? `Timeline of ${data.lead_id} in ${data.webinar_id}` : 'Timeline',
    }),
    timeline,
  );
  if (!data.lead_id) {
    replace(timeline, note('An anonymous entry: no lead, so no timeline (until its session is attributed).'));
    return;
  }
  api(`/v1/leads/${encodeURIComponent(data.lead_id)}/timeline${query({ webinar_id: data.webinar_id })}`)
    .then((body) => {
      replace(
        timeline,
        h(
          'table',
          { class: 'grid compact' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['#', 'type', 'fact', 'recorded', ''].map((t) => h('th', { text: t })),
            ),
          ),
          h(
            'tbody',
            {},
            body.events.map((e) =>
              h(
                'tr',
                {
                  class: `clickable${e.id === event.id && e.source === event.source ? ' current' : ''}`,
                  onclick: () => pick(e),
                },
                h('td', { class: 'num', text: String(e.position) }),
                h('td', {}, typeBadge(e.type)),
                h('td', { text: summary(e) }),
                h('td', { text: shortTime(e.recordedat) }),
                h(
                  'td',
                  {},
                  e.warnings?.length ? h('span', { class: 'warn-mark', text: `⚠ ${e.warnings.length}` }) : '',
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((error) => replace(timeline, note(error.message, 'error')));
}

export class LiveView {
  constructor(root) {
    this.root = root;
    this.stream = null;
    this.paused = false;
    this.pending = [];
    this.count = 0;
    this.typeSelect = h(
      'select',
      { id: 'live-type', 'aria-label': 'Event type', onchange: () => this.connect() },
      h('option', { value: '', text: 'all types' }),
      EVENT_TYPES.map((t) => h('option', { value: t, text: TYPE_LABELS[t] })),
    );
    const debounced = () => {
      clearTimeout(this.typing);
      this.typing = setTimeout(() => this.connect(), 400);
    };
    this.webinarInput = h('input', {
      id: 'live-webinar',
      placeholder: 'webinar_id',
      'aria-label': 'Webinar id',
      oninput: debounced,
    });
    this.leadInput = h('input', {
      id: 'live-lead',
      placeholder: 'lead_id',
      'aria-label': 'Lead id',
      oninput: debounced,
    });
    this.pauseButton = h(
      'button',
      { id: 'live-pause', type: 'button', onclick: () => this.togglePause() },
      'Pause',
    );
    this.status = h('span', { id: 'live-status', class: 'status', text: 'idle' });
    this.counter = h('span', { class: 'muted', id: 'live-count', text: '0 events' });
    this.list = h('ol', { id: 'live-list', class: 'events' });
    this.detail = h(
      'aside',
      { id: 'live-detail', class: 'detail' },
      note('Click an event to see it in full.'),
    );
    this.empty = note(
      'Waiting for events… (matching events among the last 1000 stored come first, then each new one as it is stored)',
    );
    replace(
      root,
      h(
        'div',
        { class: 'toolbar' },
        this.typeSelect,
        this.webinarInput,
        this.leadInput,
        this.pauseButton,
        h('button', { type: 'button', id: 'live-clear', onclick: () => this.clear() }, 'Clear'),
        this.counter,
        this.status,
      ),
      h('div', { class: 'split' }, h('div', { class: 'list-pane' }, this.empty, this.list), this.detail),
    );
  }

  show() {
    if (this.stream === null) this.connect();
  }

  hide() {}

  tokenChanged() {
    this.connect();
  }

  connect() {
    this.stream?.close();
    this.clear();
    const params = {
      tail: BACKLOG,
      type: this.typeSelect.value,
      webinar_id: this.webinarInput.value.trim(),
      lead_id: this.leadInput.value.trim(),
    };
    this.stream = openStream(params, {
      onEvent: (event) => this.receive(event),
      onStatus: (state, detail) => {
        this.status.className = `status ${state}`;
        this.status.textContent = state === 'live' ? '● live' : detail ? `${state}: ${detail}` : state;
        this.status.title = detail ?? '';
      },
    });
  }

  clear() {
    this.list.replaceChildren();
    this.pending = [];
    this.count = 0;
    this.empty.hidden = false;
    this.updateCounter();
  }

  togglePause() {
    this.paused = !this.paused;
    if (!this.paused) {
      for (const event of this.pending) this.add(event);
      this.pending = [];
    }
    this.updateCounter();
  }

  updateCounter() {
    this.pauseButton.textContent = this.paused ? `Resume (${this.pending.length} new)` : 'Pause';
    this.pauseButton.classList.toggle('active', this.paused);
    this.counter.textContent = `${this.count} event${this.count === 1 ? '' : 's'}`;
  }

  receive(event) {
    if (event.data?.webinar_id) seenWebinars.add(event.data.webinar_id);
    if (this.paused) {
      this.pending.push(event);
      if (this.pending.length > MAX_ROWS) this.pending.shift();
      this.updateCounter();
      return;
    }
    this.add(event);
  }

  add(event) {
    const data = event.data ?? {};
    const row = h(
      'li',
      {
        class: `ev t-${event.type}`,
        dataset: { position: String(event.position), type: event.type },
        tabindex: '0',
        onclick: () => this.select(row, event),
        onkeydown: (e) => e.key === 'Enter' && this.select(row, event),
      },
      h('span', { class: 'pos', text: `#${event.position}` }),
      h('span', { class: 'when', text: shortTime(event.recordedat) }),
      typeBadge(event.type),
      h(
        'span',
        { class: 'who' },
        h('b', { text: data.webinar_id ?? '' }),
        ' · ',
        data.lead_id ?? h('i', { text: 'anonymous' }),
      ),
      h('span', { class: 'what', text: summary(event) }),
      event.warnings?.length
        ? h('span', {
            class: 'warn-mark',
            title: event.warnings.map((w) => w.code).join(', '),
            text: `⚠ ${event.warnings.length}`,
          })
        : null,
    );
    this.list.prepend(row);
    while (this.list.childElementCount > MAX_ROWS) this.list.lastElementChild.remove();
    this.count += 1;
    this.empty.hidden = true;
    this.updateCounter();
  }

  select(row, event) {
    for (const el of this.list.querySelectorAll('.selected')) el.classList.remove('selected');
    row.classList.add('selected');
    showEvent(this.detail, event);
  }
}
