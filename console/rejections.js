/* global atob, TextDecoder */
// Rejections: the quarantine, newest first, each with its errors and the raw input marked at the error's pointer.
import { api, query } from './api.js';
import { h, note, replace, shortTime } from './dom.js';
import { highlighted } from './pointer.js';

/** Rejections fetched at a time: the newest page first, older ones on "Show more", newer ones on refresh. */
const PAGE = 200;
/** At most this many pages of new rejections per refresh; beyond, the newest page is loaded afresh. */
const NEW_PAGES_MAX = 5;
const NEWEST = Number.MAX_SAFE_INTEGER;
/** Rows rendered at once; "Show more" renders the next ones. */
const SHOWN = 50;
/** The contract's error codes (src/contract/codes.ts; a unit test keeps the two alike): the filter's choices. */
export const ERROR_CODES = [
  'MALFORMED_JSON',
  'INVALID_ENVELOPE',
  'UNKNOWN_EVENT',
  'RESERVED_EVENT',
  'MISSING_FIELD',
  'UNKNOWN_FIELD',
  'INVALID_FIELD',
  'ID_CONFLICT',
  'ALREADY_REGISTERED',
  'REPEATED_IN_SESSION',
  'FORM_ALREADY_SUBMITTED',
  'WEBINAR_TYPE_MISMATCH',
  'SESSION_MISMATCH',
];

function rawText(rejection) {
  if (rejection.raw_encoding !== 'base64') return { text: rejection.raw, note: null };
  try {
    const bytes = Uint8Array.from(atob(rejection.raw), (c) => c.charCodeAt(0));
    return {
      text: new TextDecoder('utf-8').decode(bytes),
      note: 'not UTF-8: shown decoded with replacements',
    };
  } catch {
    return { text: rejection.raw, note: 'not UTF-8: shown as base64' };
  }
}

export class RejectionsView {
  constructor(root) {
    this.root = root;
    this.rejections = [];
    this.after = 0;
    /** `before` of the next older page; null: nothing older; undefined: nothing loaded yet. */
    this.previous = undefined;
    /** Bumped whenever the list starts afresh: a page fetched for an older list is dropped. */
    this.generation = 0;
    this.loadingOlder = null;
    this.shown = SHOWN;
    this.loading = null;
    /** The filter's choices: the contract's error codes and any other seen in the quarantine. */
    this.knownCodes = new Set(ERROR_CODES);
    /** The code the loaded list is filtered by, on the server ('' for all). */
    this.code = '';
    this.codeSelect = h(
      'select',
      { id: 'rejections-code', 'aria-label': 'Error code', onchange: () => this.filterChanged() },
      h('option', { value: '', text: 'all codes' }),
    );
    this.summary = h('span', { class: 'muted', id: 'rejections-count' });
    this.list = h('div', { id: 'rejections-list', class: 'cards' });
    this.more = h(
      'button',
      { type: 'button', id: 'rejections-more', onclick: () => this.showMore() },
      'Show more',
    );
    replace(
      root,
      h(
        'div',
        { class: 'toolbar' },
        this.codeSelect,
        h('button', { type: 'button', id: 'rejections-refresh', onclick: () => this.load() }, 'Refresh'),
        this.summary,
      ),
      this.list,
      this.more,
    );
  }

  show() {
    return this.load();
  }

  hide() {}

  tokenChanged() {
    this.startAfresh();
  }

  /** Forgets the loaded list: the next load starts from the newest page. */
  startAfresh() {
    this.rejections = [];
    this.after = 0;
    this.previous = undefined;
    this.shown = SHOWN;
    this.generation++;
  }

  /** The server filters by code (GET /v1/rejections?code=): the whole quarantine, not only the loaded pages. */
  async filterChanged() {
    this.code = this.codeSelect.value;
    // A load under way drops its pages (the list's generation moves on); the new one starts once it has.
    this.startAfresh();
    await this.loading;
    return this.load();
  }

  /** A page's query: the filter's code (as it was when the load began), if any, with the paging. */
  pageQuery(paging, code) {
    return query({ ...paging, limit: PAGE, code });
  }

  /**
   * The newest page at first, then what was quarantined since (pages are oldest first; shown newest first). A large
   * quarantine is never loaded whole: older pages come on "Show more".
   */
  load() {
    this.loading ??= this.fetchNew().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  async fetchNew() {
    // The list may start afresh meanwhile (the filter changed, another token): pages of the old one are dropped.
    const generation = this.generation;
    const code = this.code;
    try {
      let caughtUp = false;
      for (let pages = 0; this.previous !== undefined && pages < NEW_PAGES_MAX; pages++) {
        const page = await api(`/v1/rejections${this.pageQuery({ after: this.after }, code)}`);
        if (generation !== this.generation) return;
        this.rejections.push(...page.rejections);
        this.after = page.next;
        // Only an empty page is the end: the server also cuts a page at 8 MiB of raw inputs.
        if (page.rejections.length === 0) {
          caughtUp = true;
          break;
        }
      }
      if (!caughtUp) {
        // First load, or more new rejections than a refresh reads: start again from the newest page.
        const page = await api(`/v1/rejections${this.pageQuery({ before: NEWEST }, code)}`);
        if (generation !== this.generation) return;
        this.generation++;
        this.rejections = page.rejections;
        this.after = page.rejections.at(-1)?.seq ?? 0;
        this.previous = page.previous;
      }
      this.render();
    } catch (error) {
      replace(this.list, note(error.message, 'error'));
      this.more.hidden = true;
    }
  }

  /** The next rows already loaded, else the next older page (one at a time: a second click waits for it). */
  showMore() {
    this.loadingOlder ??= this.fetchOlder().finally(() => {
      this.loadingOlder = null;
    });
    return this.loadingOlder;
  }

  async fetchOlder() {
    if (this.matching().length <= this.shown && this.previous !== null && this.previous !== undefined) {
      const generation = this.generation;
      try {
        const page = await api(`/v1/rejections${this.pageQuery({ before: this.previous }, this.code)}`);
        // The list started afresh meanwhile (a refresh jumped to the newest page): this page belongs to the old one.
        if (generation !== this.generation) return;
        this.rejections.unshift(...page.rejections);
        this.previous = page.previous;
      } catch (error) {
        replace(this.list, note(error.message, 'error'));
        return;
      }
    }
    this.shown += SHOWN;
    this.render();
  }

  /** The loaded rejections, newest first (all of them pass the filter: the server applied it). */
  matching() {
    return [...this.rejections].reverse();
  }

  render() {
    for (const r of this.rejections) for (const e of r.errors) this.knownCodes.add(e.code);
    if (this.code !== '') this.knownCodes.add(this.code);
    replace(
      this.codeSelect,
      h('option', { value: '', text: 'all codes' }),
      [...this.knownCodes].sort().map((code) => h('option', { value: code, text: code })),
    );
    this.codeSelect.value = this.code;
    const code = this.code;
    const matching = this.matching();
    const older = this.previous !== null && this.previous !== undefined;
    this.summary.textContent = `${matching.length} rejected input${matching.length === 1 ? '' : 's'}${
      code === '' ? '' : ` with ${code}`
    }${older ? ' (the newest; older ones on "Show more")' : ''}`;
    if (matching.length === 0) {
      replace(this.list, note(code === '' ? 'The quarantine is empty.' : 'None with this code.'));
    } else {
      replace(
        this.list,
        matching.slice(0, this.shown).map((r) => this.card(r, code)),
      );
    }
    this.more.hidden = matching.length <= this.shown && !older;
  }

  card(rejection, code) {
    const raw = rawText(rejection);
    const rawBox = h('div', { class: 'raw-box' });
    const errorRows = [];
    const mark = (error, row) => {
      for (const r of errorRows) r.classList.toggle('selected', r === row);
      // A body that is not JSON has no pointer into it, but the parser's message often says where it broke.
      const at = error?.code === 'MALFORMED_JSON' ? /at position (\d+)/.exec(error.message ?? '') : null;
      const { pre, missing } = highlighted(raw.text, at ? { offset: Number(at[1]) } : error?.path);
      replace(
        rawBox,
        missing
          ? note(
              `"${missing.name}" is absent from ${missing.parent === '' ? 'the event' : missing.parent}`,
              'hint',
            )
          : null,
        raw.note ? note(raw.note, 'hint') : null,
        pre,
      );
    };
    const errors = rejection.errors.map((error) => {
      const row = h(
        'li',
        { class: 'clickable', title: 'Mark this error in the raw input', onclick: () => mark(error, row) },
        h('code', { class: 'code err', text: error.code }),
        ' ',
        h('code', { class: 'path', text: error.path === '' ? '(the event)' : error.path }),
        ' ',
        h('span', { text: error.message }),
      );
      errorRows.push(row);
      return row;
    });
    const first = rejection.errors.findIndex((e) => e.code === code);
    const index = first === -1 ? 0 : first;
    mark(rejection.errors[index], errorRows[index]);
    return h(
      'article',
      { class: 'card rejection', dataset: { seq: String(rejection.seq) } },
      h(
        'header',
        {},
        h('span', { class: 'pos', text: `#${rejection.seq}` }),
        h('span', { class: 'when', text: shortTime(rejection.received_at) }),
        h('span', { class: 'muted', text: `via ${rejection.origin}` }),
        h('span', { class: 'mono', text: rejection.id === null ? '(no id)' : `id ${rejection.id}` }),
      ),
      h('ul', { class: 'errors' }, errors),
      rawBox,
    );
  }
}
