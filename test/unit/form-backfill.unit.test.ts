import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formKeyOf } from '../../src/store/form-backfill.js';

describe('schema 5 / 4 backfill: a stored form submission read as the intake read it', () => {
  it('names lead, webinar and form; the last of duplicate keys wins, as in JSON.parse', () => {
    const text =
      '{"type":"client_webinar_form_submitted","data":{"form_id":"decoy","lead_id":"L-1","webinar_id":"W-1",' +
      '"form_payload":{"form_id":"nested","note":"\\u0000","cut":"\\ud83d"},"form_id":"feedback"}}';
    assert.deepEqual(formKeyOf(text), ['L-1', 'W-1', 'feedback']);
  });

  it('null when the envelope is not JSON or lacks one of them', () => {
    assert.equal(formKeyOf('{"data":'), null);
    assert.equal(formKeyOf('null'), null);
    assert.equal(formKeyOf('{"data":null}'), null);
    assert.equal(formKeyOf('{"data":{"lead_id":"L","webinar_id":"W"}}'), null);
    assert.equal(formKeyOf('{"data":{"lead_id":"L","webinar_id":"W","form_id":7}}'), null);
  });
});
