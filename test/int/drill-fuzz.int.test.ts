import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup } from '../../drills/common.js';
import { FUZZ_QUICK, fuzzDrill } from '../../drills/fuzz.js';
import { nested, stringify } from '../../drills/fuzz-inputs.js';
import { jsonText } from '../../src/pipeline/ingest.js';
import { Harness, registered, type Json } from './http-helpers.js';

process.env['DRILL_QUIET'] = '1';

/** The quick `fuzz` drill (docs/reliability.md) and the regressions it found. */
describe('drill: fuzz (quick)', () => {
  after(cleanup);

  it('§3: 3,000 generated inputs over HTTP: no 5xx, a verdict for each, every rejection quarantined', async () => {
    const seed = Number(process.env['DRILL_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
    const figures = await fuzzDrill({ ...FUZZ_QUICK, seed });
    const why = `seed ${seed} (DRILL_FUZZ_SEED=${seed} repeats it): ${JSON.stringify(figures)}`;
    assert.ok(Number(figures['inputs']) >= FUZZ_QUICK.inputs, why);
    assert.equal(figures['http_5xx'], 0, why);
    assert.equal(figures['inputs_without_verdict'], 0, why);
    assert.equal(figures['quarantined'], figures['rejected'], why);
    assert.ok(Number(figures['rejected']) > 0 && Number(figures['accepted']) > 0, why);
    assert.equal(figures['probe_ok'], true, why);
    assert.ok(figures.ok, why);
  });
});

describe('regression: batch elements nested deeper than JSON.stringify can go', () => {
  let h: Harness;
  after(() => h?.close());

  it('§3: get a rejected verdict (not a 500) and their raw text is quarantined', async () => {
    h = await Harness.start();
    const deepArray = nested(20_000, 'array');
    const deepObject = {
      ...registered({ lead: 'L-deep', webinar: 'W-deep' }),
      id: 'deep-1',
      data: nested(20_000, 'object'),
    };
    const good = registered({ lead: 'L-ok', webinar: 'W-deep' });
    const response = await h.post(stringify([deepArray, deepObject, good]));
    assert.equal(response.statusCode, 200, response.body.slice(0, 500));
    const body = response.json<{ results: Json[] }>();
    assert.deepEqual(
      body.results.map((r) => r['status']),
      ['rejected', 'rejected', 'accepted'],
    );
    const quarantine = await h.read<{ rejections: Json[] }>('/v1/rejections?limit=10');
    assert.equal(quarantine.rejections.length, 2);
    const raws = quarantine.rejections.map((r) => String(r['raw']));
    assert.equal(raws[0], stringify(deepArray));
    assert.equal(raws[1], stringify(deepObject));
  });

  it('jsonText writes what JSON.stringify writes, at any depth', () => {
    const samples: unknown[] = [
      null,
      'x',
      1.5,
      [],
      {},
      { a: [1, 'b', null, { c: true }], '': {}, __proto__x: [] },
      JSON.parse('{"__proto__":{"x":1},"constructor":[1]}'),
      nested(100, 'array'),
      nested(100, 'object'),
    ];
    for (const value of samples) assert.equal(jsonText(value), JSON.stringify(value));
    const deep = nested(50_000, 'object');
    assert.throws(() => JSON.stringify(deep), RangeError);
    const text = jsonText(deep);
    assert.equal(text, `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`);
  });
});

describe('regression: ids and URLs in paths', () => {
  let h: Harness;
  after(() => h?.close());

  it('§2/§7: a lead or webinar id of 101–256 characters can be read, reported and evaluated (not 414)', async () => {
    h = await Harness.start();
    const lead = `L-${'l'.repeat(254)}`;
    const webinar = `W-${'😀'.repeat(254)}`; // 256 code points, 510 UTF-16 units, 2 KB percent-encoded
    await h.accept(registered({ lead, webinar }));
    const timeline = await h.read<{ events: Json[] }>(`/v1/leads/${encodeURIComponent(lead)}/timeline`);
    assert.equal(timeline.events.length, 1);
    const report = await h.read<Json>(`/v1/webinars/${encodeURIComponent(webinar)}/attendance`);
    assert.equal(report['webinar_id'], webinar);
    assert.equal((await h.evaluate(webinar)).statusCode, 200);
    // Longer than any id: the schema answers, as problem+json.
    const tooLong = await h.get(`/v1/leads/${'x'.repeat(257)}/timeline`);
    assert.equal(tooLong.statusCode, 400);
    assert.match(String(tooLong.headers['content-type']), /^application\/problem\+json/);
  });

  it('§7: an integer in a query is decimal digits: infinite, blank, hex or exponent forms are a 400', async () => {
    for (const url of [
      '/v1/events?after=%20',
      '/v1/events?after=0x10',
      '/v1/events?after=1e3',
      '/v1/events?limit=%2B5',
      '/v1/events?after=1.0',
      '/v1/rejections?after=%20',
      '/v1/rejections?before=0x10',
      '/v1/events?after=1e309',
      '/v1/events?limit=Infinity',
      '/v1/rejections?after=Infinity',
      '/v1/rejections?limit=1e309',
      '/v1/webinars/W-1/attendance?limit=1e309',
      '/v1/webinars/W-1/attendance?after=-2&limit=Infinity',
      '/v1/stream?after=1e309',
    ]) {
      const response = await h.get(url);
      assert.equal(response.statusCode, 400, `${url}: ${response.body.slice(0, 200)}`);
      assert.equal(response.json<Json>()['code'], 'INVALID_REQUEST', url);
    }
    // The largest exact one is just a position past the end; above 2^53 - 1 it would come back rounded as `next`,
    // so it is a 400 too.
    assert.deepEqual(await h.read('/v1/events?after=9007199254740991'), {
      events: [],
      next: 9007199254740991,
    });
    for (const url of ['/v1/events?after=9007199254740993', '/v1/rejections?after=99999999999999999999']) {
      const response = await h.get(url);
      assert.equal(response.statusCode, 400, `${url}: ${response.body.slice(0, 200)}`);
    }
    // Digits, but more than any position: said to be out of range, not "not decimal digits".
    for (const [url, detail] of [
      [
        '/v1/events?after=999999999999999999999',
        'querystring/after is out of range (at most 9007199254740991)',
      ],
      ['/v1/events?limit=999999999999999999999', 'querystring/limit is out of range (at most 1000)'],
      ['/v1/events?after=-999999999999999999999', 'querystring/after is out of range (at least 0)'],
    ]) {
      const long = await h.get(url!);
      assert.equal(long.statusCode, 400, url);
      assert.equal(long.json<Json>()['detail'], detail, url);
    }
    // Leading zeros are digits too: this is 1.
    assert.equal((await h.get('/v1/events?after=000000000000000000001')).statusCode, 200);
  });

  it('§7: a path that is not valid percent-encoding, or absurdly long, is a problem+json error', async () => {
    for (const [url, status, code] of [
      ['/v1/leads/%ED%A0%80/timeline', 400, 'BAD_URL'],
      ['/v1/leads/%/timeline', 400, 'BAD_URL'],
      [`/v1/leads/${'x'.repeat(5000)}/timeline`, 414, 'URI_TOO_LONG'],
    ] as const) {
      const response = await h.get(url);
      assert.equal(response.statusCode, status, url.slice(0, 60));
      assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
      assert.equal(response.json<Json>()['code'], code);
    }
  });
});
