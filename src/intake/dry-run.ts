import { judgeEvent } from './envelope.js';
import { EMPTY_FORMS_CATALOG, type FormsCatalog } from './forms-catalog.js';
import { decideIntake } from './rules.js';
import { MemoryIntakeState } from './state.js';
import { parseJson, type Verdict } from './verdict.js';

/**
 * The whole intake pipeline against an in-memory state that starts empty: what `validate` runs. Each input is
 * judged against the inputs before it; nothing is written anywhere.
 */
export class DryRunIntake {
  private readonly state = new MemoryIntakeState(true);
  constructor(private readonly forms: FormsCatalog = EMPTY_FORMS_CATALOG) {}

  judgeText(text: string): Verdict {
    const parsed = parseJson(text);
    if (!parsed.ok) return { status: 'rejected', id: null, errors: [parsed.issue] };
    return this.judgeValue(parsed.value);
  }

  judgeValue(value: unknown): Verdict {
    const judged = judgeEvent(value);
    if (!judged.ok) return { status: 'rejected', id: judged.id, errors: judged.errors };
    const { event } = judged;
    const decision = decideIntake(this.state, event, this.forms);
    switch (decision.verdict) {
      case 'rejected':
        return { status: 'rejected', id: event.id, errors: decision.errors };
      case 'duplicate':
        return { status: 'duplicate', id: event.id, position: decision.position };
      case 'accepted':
        this.state.apply(event, decision.facts, null);
        return { status: 'accepted', id: event.id, position: null, warnings: decision.warnings };
    }
  }
}
