/* global window, setTimeout, clearTimeout */
// Webinar: the attendance report (totals, funnel, leads with paging) and, for admins, "Evaluate attendance".
import { ApiError, api, getToken, openStream, query } from './api.js';
import { h, note, replace, s, shortTime } from './dom.js';
import { seenWebinars, showEvent } from './live.js';

const PAGE = 25;
const STAGES = [
  ['registered', 'registered'],
  ['entered', 'entered'],
  ['completed', 'completed'],
  ['attended', 'attended'],
];
const TOTALS = [
  ['registered', 'registered'],
  ['entered', 'entered'],
  ['completed', 'completed'],
  ['attended', 'attended'],
  ['not_attended', 'not attended'],
  ['unclassified', 'unclassified'],
  ['anonymous_entries', 'anonymous entries'],
];

/** `NO_PRIOR_ENTRY 2, ANONYMOUS_ENTRY 1`: events carrying each warning code (the report's `warnings`). */
function warningText(counts) {
  return Object.entries(counts ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
}

/** The funnel registered → entered → completed → attended as an inline SVG of horizontal bars. */
export function funnelChart(totals) {
  const max = Math.max(1, ...STAGES.map(([key]) => totals[key] ?? 0));
  const base = totals.registered || 0;
  const rowHeight = 38;
  const barX = 110;
  const barMax = 400;
  const svg = s('svg', {
    class: 'funnel',
    id: 'funnel',
    viewBox: `0 0 620 ${STAGES.length * rowHeight + 4}`,
    role: 'img',
    'aria-label': STAGES.map(([key, label]) => `${label} ${totals[key] ?? 0}`).join(', '),
  });
  STAGES.forEach(([key, label], index) => {
    const count = totals[key] ?? 0;
    const y = index * rowHeight + 4;
    const width = Math.max(2, Math.round((count / max) * barMax));
    const share = base > 0 && index > 0 ? ` (${Math.round((count / base) * 100)}%)` : '';
    svg.append(
      s(
        'g',
        { class: `stage stage-${key}`, 'data-stage': key, 'data-count': count },
        s('text', { x: barX - 10, y: y + 20, 'text-anchor': 'end', class: 'label', text: label }),
        s('rect', { x: barX, y, width, height: rowHeight - 10, rx: 4, class: 'bar' }),
        s('text', { x: barX + width + 8, y: y + 20, class: 'count', text: `${count}${share}` }),
      ),
    );
  });
  return svg;
}

function verdictCell(lead) {
  if (lead.attended === null) return h('td', { class: 'muted', text: '—' });
  return h(
    'td',
    {},
    h('span', {
      class: `verdict ${lead.attended ? 'yes' : 'no'}`,
      text: lead.attended ? 'attended' : 'not attended',
    }),
  );
}

export class WebinarView {
  constructor(root) {
    this.root = root;
    this.webinarId = '';
    this.cursors = [''];
    this.stream = null;
    this.refreshTimer = null;
    this.input = h('input', {
      id: 'webinar-id',
      placeholder: 'webinar_id',
      list: 'webinar-ids',
      'aria-label': 'Webinar id',
    });
    this.datalist = h('datalist', { id: 'webinar-ids' });
    this.evaluateButton = h(
      'button',
      { type: 'button', id: 'evaluate', class: 'primary', onclick: () => this.evaluate() },
      'Evaluate attendance',
    );
    this.evaluation = h('div', { id: 'evaluation' });
    this.summary = h('div', { id: 'webinar-summary', class: 'summary' });
    this.body = h('div', { id: 'webinar-body' }, note('Loading the webinars…'));
    this.detail = h(
      'aside',
      { class: 'detail', id: 'webinar-detail' },
      note('Click a lead to see its timeline.'),
    );
    replace(
      root,
      h(
        'form',
        {
          class: 'toolbar',
          onsubmit: (e) => {
            e.preventDefault();
            window.location.hash = `#webinar/${encodeURIComponent(this.input.value.trim())}`;
          },
        },
        this.input,
        this.datalist,
        h('button', { type: 'submit', id: 'webinar-load' }, 'Show report'),
        this.evaluateButton,
      ),
      this.evaluation,
      this.summary,
      h('div', { class: 'split wide' }, this.body, this.detail),
    );
    this.updateAdmin();
  }

  show(webinarId) {
    this.suggestWebinars();
    const id = webinarId ?? this.webinarId;
    if (id !== this.webinarId) {
      this.webinarId = id;
      this.cursors = [''];
      replace(this.evaluation);
      replace(this.detail, note('Click a lead to see its timeline.'));
    }
    this.input.value = id;
    this.updateAdmin();
    this.follow();
    return this.load();
  }

  /** The webinar ids seen (live events, the list of webinars) as suggestions for the id field. */
  suggestWebinars() {
    replace(
      this.datalist,
      [...seenWebinars].sort().map((id) => h('option', { value: id })),
    );
  }

  hide() {
    this.stream?.close();
    this.stream = null;
  }

  tokenChanged() {
    this.updateAdmin();
  }

  updateAdmin() {
    const admin = getToken() !== '';
    this.evaluateButton.disabled = !admin || this.webinarId === '';
    this.evaluateButton.title = admin
      ? 'POST /v1/webinars/:id/evaluate: attended=false for every lead that entered and has not completed'
      : 'Read-only: enter an admin token above to evaluate';
  }

  /** Refreshes the report when events of this webinar are stored. */
  follow() {
    this.stream?.close();
    this.stream = null;
    if (this.webinarId === '') return;
    this.stream = openStream(
      { webinar_id: this.webinarId },
      {
        onEvent: () => {
          clearTimeout(this.refreshTimer);
          this.refreshTimer = setTimeout(() => this.load(), 300);
        },
        onStatus: () => {},
      },
    );
  }

  async load() {
    if (this.webinarId === '') {
      replace(this.summary);
      return this.loadList();
    }
    const after = this.cursors[this.cursors.length - 1];
    try {
      const report = await api(
        `/v1/webinars/${encodeURIComponent(this.webinarId)}/attendance${query({ after, limit: PAGE })}`,
      );
      this.render(report);
    } catch (error) {
      replace(this.summary);
      replace(this.body, note(error.message, 'error'));
    }
  }

  /** Without a webinar: the webinars with leads (GET /v1/webinars), each a link to its report. */
  async loadList() {
    try {
      const list = await api(`/v1/webinars${query({ limit: 100 })}`);
      for (const w of list.webinars) seenWebinars.add(w.webinar_id);
      this.suggestWebinars();
      replace(
        this.body,
        h('h3', { text: 'Webinars' }),
        list.webinars.length === 0
          ? note('No webinars with leads yet.')
          : h(
              'table',
              { class: 'grid', id: 'webinars' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  [
                    'webinar',
                    'registered',
                    'entered',
                    'completed',
                    'attended',
                    'not attended',
                    'unclassified',
                    'awaiting evaluation',
                  ].map((t) => h('th', { text: t })),
                ),
              ),
              h(
                'tbody',
                {},
                list.webinars.map((w) =>
                  h(
                    'tr',
                    { dataset: { webinar: w.webinar_id } },
                    h(
                      'td',
                      { class: 'mono' },
                      h('a', { href: `#webinar/${encodeURIComponent(w.webinar_id)}`, text: w.webinar_id }),
                    ),
                    ...[
                      w.registered,
                      w.entered,
                      w.completed,
                      w.attended,
                      w.not_attended,
                      w.unclassified,
                      w.awaiting_evaluation,
                    ].map((n) => h('td', { class: 'num', text: String(n) })),
                  ),
                ),
              ),
            ),
        list.next === null
          ? null
          : note(`Showing the first ${list.webinars.length}; enter a webinar id above for any other.`),
      );
    } catch (error) {
      replace(this.body, note(error.message, 'error'));
    }
  }

  page(delta, next) {
    if (delta > 0) this.cursors.push(next);
    else if (this.cursors.length > 1) this.cursors.pop();
    this.load();
  }

  render(report) {
    const { totals, leads, next } = report;
    const first = (this.cursors.length - 1) * PAGE;
    replace(
      this.summary,
      h(
        'div',
        { class: 'stats', id: 'totals' },
        TOTALS.map(([key, label]) =>
          h(
            'div',
            { class: `stat stat-${key}`, dataset: { total: key } },
            h('b', { text: String(totals[key] ?? 0) }),
            h('span', { text: label }),
          ),
        ),
      ),
      h('div', { class: 'funnel-box' }, h('h3', { text: 'Funnel' }), funnelChart(totals)),
      h('p', {
        class: 'warnings-line',
        id: 'warning-totals',
        text: `Warnings: ${warningText(totals.warnings) || 'none'}`,
      }),
    );
    replace(
      this.body,
      h('h3', { text: 'Leads' }),
      leads.length === 0
        ? note('No leads yet.')
        : h(
            'table',
            { class: 'grid', id: 'leads' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                [
                  'lead',
                  'registered',
                  'entries',
                  'lefts',
                  'completions',
                  'forms',
                  'verdict',
                  'classified',
                  'route',
                  'warnings',
                ].map((t) => h('th', { text: t })),
              ),
            ),
            h(
              'tbody',
              {},
              leads.map((lead) =>
                h(
                  'tr',
                  {
                    class: 'clickable',
                    dataset: { lead: lead.lead_id },
                    onclick: () => this.timeline(lead.lead_id),
                  },
                  h('td', { class: 'mono', text: lead.lead_id }),
                  h('td', { text: lead.registered ? '✓' : '—' }),
                  h('td', { class: 'num', text: String(lead.entries) }),
                  h('td', { class: 'num', text: String(lead.lefts) }),
                  h('td', { class: 'num', text: String(lead.completions) }),
                  h('td', { class: 'num', text: String(lead.forms) }),
                  verdictCell(lead),
                  h('td', { class: 'nowrap', text: shortTime(lead.classified_at) }),
                  h('td', { text: lead.route ?? '—' }),
                  h('td', { class: 'nowrap', text: warningText(lead.warnings) || '—' }),
                ),
              ),
            ),
          ),
      h(
        'div',
        { class: 'pager' },
        h(
          'button',
          {
            type: 'button',
            id: 'leads-prev',
            disabled: this.cursors.length === 1,
            onclick: () => this.page(-1),
          },
          '← Previous',
        ),
        h('span', {
          class: 'muted',
          text: leads.length === 0 ? '' : `leads ${first + 1}–${first + leads.length}`,
        }),
        h(
          'button',
          { type: 'button', id: 'leads-next', disabled: next === null, onclick: () => this.page(1, next) },
          'Next →',
        ),
      ),
    );
  }

  async timeline(leadId) {
    replace(this.detail, note(`Loading the timeline of ${leadId}…`));
    try {
      const body = await api(
        `/v1/leads/${encodeURIComponent(leadId)}/timeline${query({ webinar_id: this.webinarId })}`,
      );
      const last = body.events[body.events.length - 1];
      if (last === undefined) replace(this.detail, note(`No events of ${leadId} in ${this.webinarId}.`));
      else showEvent(this.detail, last);
    } catch (error) {
      replace(this.detail, note(error.message, 'error'));
    }
  }

  async evaluate() {
    const id = this.webinarId;
    this.evaluateButton.disabled = true;
    replace(this.evaluation, note(`Evaluating ${id}…`));
    try {
      const result = await api(`/v1/webinars/${encodeURIComponent(id)}/evaluate`, { method: 'POST' });
      const classified = result.classified;
      replace(
        this.evaluation,
        h(
          'div',
          {
            class: 'card result',
            id: 'evaluation-result',
            dataset: { classified: String(classified.length) },
          },
          h('h3', {
            text:
              classified.length === 0
                ? `Evaluated ${id}: nothing new to classify`
                : `Evaluated ${id}: classified ${classified.length} lead${classified.length === 1 ? '' : 's'}`,
          }),
          classified.length === 0
            ? note('Every lead that entered already has a verdict (or none entered).')
            : h(
                'table',
                { class: 'grid compact' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ['lead', 'verdict', 'at'].map((t) => h('th', { text: t })),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  classified.map((c) =>
                    h(
                      'tr',
                      { dataset: { lead: c.lead_id } },
                      h('td', { class: 'mono', text: c.lead_id }),
                      verdictCell(c),
                      h('td', { text: shortTime(c.timestamp) }),
                    ),
                  ),
                ),
              ),
        ),
      );
      this.cursors = [''];
      await this.load();
    } catch (error) {
      const text =
        error instanceof ApiError && error.status === 403
          ? 'This token lacks the admin scope: evaluating needs an admin token.'
          : error.message;
      replace(this.evaluation, note(text, 'error'));
    } finally {
      this.updateAdmin();
    }
  }
}
