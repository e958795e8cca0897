import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { cleanup } from '../../drills/common.js';
import { KILL_QUICK, killDrill } from '../../drills/kill.js';

process.env['DRILL_QUIET'] = '1';

/** The quick `kill` drill (docs/reliability.md): SPEC §6 under SIGKILL at random moments, 3 cycles. */
describe('drill: kill (quick)', () => {
  after(cleanup);

  it('§6: SIGKILL at random moments under producers loses nothing, doubles nothing, one route each', async () => {
    const figures = await killDrill(KILL_QUICK);
    const why = JSON.stringify(figures);
    assert.ok(Number(figures['kills']) >= KILL_QUICK.cycles + 1, why);
    assert.ok(Number(figures['acknowledged']) > 0, why);
    assert.equal(figures['acknowledged'], figures['sent'], why);
    assert.equal(figures['stored'], figures['sent'], why);
    assert.equal(figures['lost'], 0, why);
    assert.equal(figures['duplicated'], 0, why);
    assert.equal(figures['classifications_without_one_route'], 0, why);
    assert.equal(figures['misclassified'], 0, why);
    assert.equal(figures['position_gaps'], 0, why);
    assert.equal(figures['resend_accepted'], 0, why);
    assert.equal(figures['reevaluation_new'], 0, why);
    assert.ok(figures.ok, why);
  });
});
