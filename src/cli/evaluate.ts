import { userInfo } from 'node:os';
import { STORE_FLAGS, STORE_FLAGS_HELP, openRuntime, resolveConfig } from '../config.js';
import { assertExistingStore } from './existing-store.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
import type { Output } from './output.js';

export const evaluateHelp = `Usage: webinar-events evaluate <webinar_id> [--json] [store options]

Explicit evaluation of a webinar: every lead with an entry, no completion and no classification yet is
classified attended=false (and routed not_attended). Evaluating again classifies nothing new. The request
is recorded beside the log.

Options:
  --json             print the HTTP body ({webinar_id, classified:[…]}) instead of a summary

${STORE_FLAGS_HELP}`;

export async function evaluateCommand(args: readonly string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...STORE_FLAGS,
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    out.stdout(evaluateHelp);
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new UsageError('evaluate takes one webinar_id');
  const webinarId = positionals[0]!;
  const config = resolveConfig(values);
  assertExistingStore(config);
  // No bus even when NATS_URL is set: an evaluation must not depend on NATS, and the relay (serve or the relay
  // worker) publishes what it appends.
  const runtime = await openRuntime({ ...config, nats: undefined });
  try {
    await runtime.processors?.drain();
    const classified = await runtime.evaluate(webinarId, `cli:${userInfo().username}`);
    const rows = classified.map((e) => ({
      lead_id: e.data['lead_id'] as string,
      attended: e.data['attended'] as boolean,
      timestamp: e.data['timestamp'] as string,
    }));
    if (values['json']) out.stdout(JSON.stringify({ webinar_id: webinarId, classified: rows }));
    else {
      out.stdout(`evaluated ${webinarId}: ${rows.length} lead(s) newly classified attended=false`);
      for (const row of rows.slice(0, 50)) out.stdout(`  ${row.lead_id}`);
      if (rows.length > 50) out.stdout(`  … and ${rows.length - 50} more (use --json for all)`);
    }
  } finally {
    await runtime.close();
  }
  return EXIT.ok;
}
