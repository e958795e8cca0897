import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/cli/args.js';
import { DEFAULT_DB, resolveConfig, shownUrl } from '../../src/config.js';
import { loadFormsCatalog } from '../../src/cli/forms-option.js';

/** SPEC §7: each setting from its flag, else its environment variable, else its default. */
describe('configuration: flag, else environment variable, else default', () => {
  const cases: Array<{
    setting: 'host' | 'port' | 'db' | 'postgres' | 'nats' | 'forms' | 'durability';
    flag: string;
    variable: string;
    fromFlag: string;
    fromEnv: string;
    fallback: unknown;
  }> = [
    {
      setting: 'host',
      flag: 'host',
      variable: 'HOST',
      fromFlag: '::1',
      fromEnv: 'localhost',
      fallback: '127.0.0.1',
    },
    { setting: 'port', flag: 'port', variable: 'PORT', fromFlag: '9001', fromEnv: '9002', fallback: 8080 },
    {
      setting: 'db',
      flag: 'db',
      variable: 'WEBINAR_EVENTS_DB',
      fromFlag: 'a.db',
      fromEnv: 'b.db',
      fallback: DEFAULT_DB,
    },
    {
      setting: 'postgres',
      flag: 'postgres',
      variable: 'DATABASE_URL',
      fromFlag: 'postgres://a/x',
      fromEnv: 'postgres://b/y',
      fallback: undefined,
    },
    {
      setting: 'nats',
      flag: 'nats',
      variable: 'NATS_URL',
      fromFlag: 'nats://a',
      fromEnv: 'nats://b',
      fallback: undefined,
    },
    {
      setting: 'forms',
      flag: 'forms',
      variable: 'WEBINAR_EVENTS_FORMS',
      fromFlag: 'a.json',
      fromEnv: 'b.json',
      fallback: undefined,
    },
    {
      setting: 'durability',
      flag: 'durability',
      variable: 'WEBINAR_EVENTS_DURABILITY',
      fromFlag: 'full',
      fromEnv: 'normal',
      fallback: 'full',
    },
  ];
  const typed = (setting: string, text: string): unknown => (setting === 'port' ? Number(text) : text);

  for (const c of cases) {
    it(`${c.setting}: --${c.flag} beats ${c.variable}, which beats the default`, () => {
      const env = { [c.variable]: c.fromEnv };
      assert.equal(resolveConfig({ [c.flag]: c.fromFlag }, env)[c.setting], typed(c.setting, c.fromFlag));
      assert.equal(resolveConfig({}, env)[c.setting], typed(c.setting, c.fromEnv));
      assert.equal(resolveConfig({}, {})[c.setting], c.fallback);
    });

    it(`${c.setting}: ${c.variable} set to the empty string counts as unset`, () => {
      assert.equal(resolveConfig({}, { [c.variable]: '' })[c.setting], c.fallback);
    });
  }

  it('list settings (--cors-origins, --trust-proxy): the flag beats the variable, which beats the empty default', () => {
    const lists = [
      [
        'cors-origins',
        'WEBINAR_EVENTS_CORS_ORIGINS',
        'corsOrigins',
        'https://a.example',
        'https://b.example',
      ],
      ['trust-proxy', 'WEBINAR_EVENTS_TRUST_PROXY', 'trustedProxies', '10.0.0.1', '10.0.0.2'],
    ] as const;
    for (const [flag, variable, setting, fromFlag, fromEnv] of lists) {
      const env = { [variable]: fromEnv };
      assert.deepEqual(resolveConfig({ [flag]: fromFlag }, env)[setting], [fromFlag], flag);
      assert.deepEqual(resolveConfig({}, env)[setting], [fromEnv], variable);
      assert.deepEqual(resolveConfig({}, {})[setting], [], setting);
      assert.deepEqual(resolveConfig({}, { [variable]: '' })[setting], [], `${variable}=`);
    }
  });

  it('LOG_LEVEL: one of the logger levels, else an error naming them', () => {
    assert.equal(resolveConfig({}, {}).logLevel, 'info');
    assert.equal(resolveConfig({}, { LOG_LEVEL: 'debug' }).logLevel, 'debug');
    assert.throws(() => resolveConfig({}, { LOG_LEVEL: 'verbose' }), /LOG_LEVEL must be one of fatal, error/);
  });

  it('bad values are errors that name the setting', () => {
    assert.throws(() => resolveConfig({}, { PORT: 'http' }), /port must be 0–65535/);
    assert.throws(() => resolveConfig({ port: '70000' }, {}), /port must be 0–65535/);
    assert.throws(
      () => resolveConfig({}, { WEBINAR_EVENTS_DURABILITY: 'off' }),
      /durability must be full or normal/,
    );
  });

  it('--postgres / DATABASE_URL: a postgres URL (or socket), else a usage error that does not echo it', () => {
    for (const ok of [
      'postgres://u@h:5432/d',
      'postgresql://u:pw@h/d?sslmode=disable',
      'socket:/run/pg?db=x',
      '/run/pg',
      // An empty host with credentials (a Unix socket): pg takes it, WHATWG URL does not.
      'postgres://user:secret@/mydb?host=/var/run/postgresql',
    ])
      assert.equal(resolveConfig({ postgres: ok }, {}).postgres, ok);
    for (const bad of ['notaurl', 'http://h/d', 'user:secretpw@host/db']) {
      assert.throws(
        () => resolveConfig({}, { DATABASE_URL: bad }),
        (error: Error) =>
          error instanceof UsageError &&
          /must be a URL such as postgres:\/\//.test(error.message) &&
          !error.message.includes(bad),
      );
    }
  });

  it('an explicit --db is the store even where DATABASE_URL is set; --db with --postgres is a usage error', () => {
    const env = { DATABASE_URL: 'postgres://b/y', WEBINAR_EVENTS_DB: 'env.db' };
    assert.equal(resolveConfig({ db: 'a.db' }, env).postgres, undefined);
    assert.equal(resolveConfig({ db: 'a.db' }, env).db, 'a.db');
    // WEBINAR_EVENTS_DB is no flag: DATABASE_URL still selects PostgreSQL over it.
    assert.equal(resolveConfig({}, env).postgres, 'postgres://b/y');
    assert.equal(resolveConfig({ postgres: 'postgres://a/x' }, env).postgres, 'postgres://a/x');
    assert.throws(
      () => resolveConfig({ db: 'a.db', postgres: 'postgres://a/x' }, {}),
      (error: Error) =>
        error instanceof UsageError && /--db and --postgres name two stores/.test(error.message),
    );
  });
});

describe('the forms catalog: --forms, else WEBINAR_EVENTS_FORMS, else none', () => {
  const dir = mkdtempSync(join(tmpdir(), 'we-config-'));
  const a = join(dir, 'a.json');
  const b = join(dir, 'b.json');
  writeFileSync(a, JSON.stringify({ forms: { 'from-flag': { resubmittable: true } } }));
  writeFileSync(b, JSON.stringify({ forms: { 'from-env': { resubmittable: true } } }));

  it('reads the file the flag names, else the variable, else allows one submission of every form', () => {
    try {
      assert.ok(loadFormsCatalog(a, { WEBINAR_EVENTS_FORMS: b }).resubmittable.has('from-flag'));
      assert.ok(loadFormsCatalog(undefined, { WEBINAR_EVENTS_FORMS: b }).resubmittable.has('from-env'));
      assert.equal(loadFormsCatalog(undefined, {}).resubmittable.size, 0);
      assert.equal(loadFormsCatalog(undefined, { WEBINAR_EVENTS_FORMS: '' }).resubmittable.size, 0);
      assert.throws(() => loadFormsCatalog(join(dir, 'missing.json'), {}), /cannot read the forms catalog/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('shownUrl: server URLs in messages', () => {
  it('hides user and password, up to the last @ of each URL (a password may hold / or @)', () => {
    assert.equal(shownUrl('nats://127.0.0.1:4222'), 'nats://127.0.0.1:4222');
    assert.equal(shownUrl('nats://u:p/x@h:4222'), 'nats://***@h:4222');
    assert.equal(shownUrl('nats://u:p@x@h:4222,nats://a:b@h2:4222'), 'nats://***@h:4222,nats://***@h2:4222');
  });
});
