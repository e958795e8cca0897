// Contract: every event and its fields, rendered from GET /v1/schema (the JSON Schema the server validates with).
import { api } from './api.js';
import { h, note, replace, typeBadge } from './dom.js';

/** Text with `code` spans, as in the schema's descriptions. */
function prose(text) {
  return (text ?? '').split('`').map((part, i) => (i % 2 === 1 ? h('code', { text: part }) : part));
}

/** A field's type in words: `string (date-time)`, `"live" | "auto"`, `object`… */
function typeOf(schema) {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  return schema.format ? `${type} (${schema.format})` : type;
}

/** Its bounds in words. */
function constraints(schema) {
  const out = [];
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    out.push(`${schema.minLength ?? 0}–${schema.maxLength ?? '∞'} chars`);
  }
  if (schema.pattern === '^[^\\p{Cc}\\p{Cs}]*$') out.push('no control characters');
  else if (schema.pattern) out.push(`matches ${schema.pattern}`);
  if (schema.not?.pattern) out.push(`must not match ${schema.not.pattern}`);
  if (schema.maxItems !== undefined) out.push(`at most ${schema.maxItems} items`);
  return out.join('; ');
}

/** `if`/`then` rules of the payload (e.g. slot_id only for live webinars) in words. */
function conditions(data) {
  const rules = [];
  const rule = (schema) => {
    if (!schema?.if || !schema.then) return;
    const when = Object.entries(schema.if.properties ?? {})
      .map(([field, s]) => `${field} is ${typeOf(s)}`)
      .join(' and ');
    const forbidden = schema.then.not?.required ?? [];
    const required = schema.then.required ?? [];
    if (forbidden.length) rules.push(`when ${when}: ${forbidden.join(', ')} must be absent`);
    if (required.length) rules.push(`when ${when}: ${required.join(', ')} required`);
  };
  rule(data);
  for (const part of data.allOf ?? []) rule(part);
  return rules;
}

function fieldsTable(properties, required, id) {
  return h(
    'table',
    { class: 'grid fields', id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['field', 'type', '', 'constraints', 'description'].map((t) => h('th', { text: t })),
      ),
    ),
    h(
      'tbody',
      {},
      Object.entries(properties).map(([name, schema]) =>
        h(
          'tr',
          { dataset: { field: name } },
          h('td', { class: 'mono', text: name }),
          h('td', { class: 'mono', text: typeOf(schema) }),
          h(
            'td',
            {},
            required.includes(name)
              ? h('span', { class: 'req', text: 'required' })
              : h('span', { class: 'muted', text: 'optional' }),
          ),
          h('td', { text: constraints(schema) }),
          h('td', {}, prose(schema.description)),
        ),
      ),
    ),
  );
}

export class ContractView {
  constructor(root) {
    this.root = root;
    this.loaded = false;
  }

  show() {
    if (this.loaded) return Promise.resolve();
    return this.load();
  }

  hide() {}

  tokenChanged() {}

  async load() {
    replace(this.root, note('Loading /v1/schema…'));
    try {
      const schema = await api('/v1/schema');
      this.render(schema);
      this.loaded = true;
    } catch (error) {
      replace(this.root, note(error.message, 'error'));
    }
  }

  render(schema) {
    const defs = Object.entries(schema.$defs ?? {});
    const card = ([type, def]) => {
      const data = def.properties?.data ?? {};
      const service = def.properties?.source?.pattern === '^webinar-events/';
      const envelope = Object.fromEntries(
        Object.entries(def.properties ?? {}).filter(([name]) => name !== 'data'),
      );
      const rules = conditions(data);
      return h(
        'article',
        { class: 'card contract', id: `contract-${type}`, dataset: { type } },
        h(
          'header',
          {},
          typeBadge(type),
          h('h3', { class: 'mono', text: type }),
          h('span', {
            class: `tag ${service ? 'service' : 'client'}`,
            text: service ? 'emitted by the service' : 'sent by clients',
          }),
        ),
        h('p', { class: 'title', text: def.title ?? '' }),
        h('p', { class: 'muted' }, prose(def.description)),
        h('h4', { text: 'data' }),
        fieldsTable(data.properties ?? {}, data.required ?? [], `fields-${type}`),
        rules.length
          ? h(
              'ul',
              { class: 'rules' },
              rules.map((r) => h('li', { text: r })),
            )
          : null,
        data.additionalProperties === false ? note('No other fields are allowed in data.', 'hint') : null,
        h(
          'details',
          {},
          h('summary', { text: 'CloudEvents envelope' }),
          fieldsTable(envelope, def.required ?? [], `envelope-${type}`),
        ),
      );
    };
    const canonical = defs.filter(([type]) => type !== 'post_webinar_route');
    const consumer = defs.filter(([type]) => type === 'post_webinar_route');
    replace(
      this.root,
      h(
        'p',
        { class: 'lead' },
        `${schema.title} — contract ${schema['x-contract-version'] ?? ''}. `,
        'Rendered from ',
        h('a', { href: '/v1/schema', target: '_blank', rel: 'noopener', text: 'GET /v1/schema' }),
        ', the JSON Schema (2020-12) the server validates with.',
      ),
      h('h2', { text: `The ${canonical.length === 6 ? 'six' : canonical.length} canonical events` }),
      canonical.map(card),
      consumer.length ? h('h2', { text: 'What the routing consumer emits' }) : null,
      consumer.map(card),
    );
  }
}
