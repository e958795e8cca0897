import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jsonArrayElements } from '../../src/http/batch-elements.js';

describe('batch elements as written: the raw text of each element of a JSON array', () => {
  it('keeps what re-serializing would lose: duplicate keys, number spellings, escapes', () => {
    const text = '[ {"id":"a","id":"b"} , 1.50,"\\u00e9\\"],[{", [ [] , {} ] ,\n\tnull ]';
    assert.deepEqual(jsonArrayElements(text, 5), [
      '{"id":"a","id":"b"}',
      '1.50',
      '"\\u00e9\\"],[{"',
      '[ [] , {} ]',
      'null',
    ]);
    // Each piece still parses as its element.
    assert.deepEqual(
      jsonArrayElements(text, 5)!.map((t) => JSON.parse(t) as unknown),
      JSON.parse(text) as unknown[],
    );
  });

  it('an empty array has no elements; a count that does not match gives null (the caller re-serializes)', () => {
    assert.deepEqual(jsonArrayElements('[]', 0), []);
    assert.deepEqual(jsonArrayElements(' [ \n ] ', 0), []);
    assert.equal(jsonArrayElements('[1,2]', 3), null);
  });

  it('property: for any JSON array in any layout, each piece parses back to its element', () => {
    fc.assert(
      fc.property(
        fc.array(fc.jsonValue(), { maxLength: 8 }),
        fc.integer({ min: 0, max: 4 }),
        (values, indent) => {
          const text = JSON.stringify(values, null, indent);
          const pieces = jsonArrayElements(text, values.length);
          assert.ok(pieces !== null, text);
          assert.deepEqual(
            pieces.map((p) => JSON.parse(p) as unknown),
            JSON.parse(text) as unknown,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
