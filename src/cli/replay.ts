import { resolve } from 'node:path';
import { STORE_FLAGS, STORE_FLAGS_HELP, openStore, resolveConfig, shownUrl, type Config } from '../config.js';
import { ReplayTargetNotEmpty, replayMatched, replayStore, type ReplayReport } from '../pipeline/index.js';
import type { EventStore } from '../store/port.js';
import { EXIT, parseCommandArgs, UsageError } from './args.js';
import { assertExistingStore } from './existing-store.js';
import { loadFormsCatalog } from './forms-option.js';
import type { Output } from './output.js';
import { Progress } from './progress.js';

export const replayHelp = `Usage: webinar-events replay --from SOURCE [--json] [--batch N] [store options]

Replays a store into another, empty one, through the same pipeline (SPEC §6): the quarantine is copied as it
is (origin, time, raw input, errors); the client events go through the target's intake in log order, with
each recorded evaluation request replayed (same id, time and requester) after exactly the events it saw; the
target derives its own classifications and routes, which are then compared with the source's by id and
payload (not the time they were made). Moves a store between runtimes (SQLite to PostgreSQL and back), or
checks a build against a store's history.

SOURCE: an SQLite file, or a postgres:// URL. It is only read (a store of an older schema is migrated first,
as every command does). The target is the store the options below name; it must be empty.

Options:
  --from SOURCE      the store to replay
  --json             print the result as one JSON object
  --batch N          client events per transaction (default 1000, at most 10000)
${STORE_FLAGS_HELP}
  (--forms is the catalog the target judges with: give the one the source was judged with)

Exit codes: 0 every client event accepted with the same warnings and the same derived events; 3 not so (the
first differences are listed; events the target refused are in its quarantine, origin replay:<source>);
2 usage (also: the target is not empty, or is the source); 1 failure.`;

/** The source as given: a postgres:// URL, else an SQLite file. Environment variables play no part. */
function sourceConfig(from: string): Config {
  const isUrl = /^postgres(ql)?:\/\//i.test(from);
  const config = resolveConfig(isUrl ? { postgres: from } : { db: from }, {});
  try {
    assertExistingStore(config);
  } catch (error) {
    throw new Error(
      `--from: no database at ${config.db}${(error as Error).message.includes('empty') ? ' (the file is empty)' : ''}`,
    );
  }
  return config;
}

const describeStore = (config: Config): string =>
  config.postgres !== undefined ? `postgres ${shownUrl(config.postgres)}` : `sqlite ${config.db}`;

const sameStore = (a: Config, b: Config): boolean =>
  a.postgres !== undefined || b.postgres !== undefined
    ? a.postgres === b.postgres
    : resolve(a.db) === resolve(b.db);

function render(report: ReplayReport, from: string, to: string): string[] {
  const n = (value: number): string => value.toLocaleString('en');
  const { derived } = report;
  const lines = [
    `replay: ${from} → ${to}`,
    `  quarantine      ${n(report.rejections)} rejected inputs copied`,
    `  client events   ${n(report.clientEvents)} replayed: ${n(report.accepted)} accepted` +
      (report.notAccepted > 0 ? `, ${n(report.notAccepted)} NOT accepted` : '') +
      (report.otherWarnings > 0 ? `, ${n(report.otherWarnings)} with other warnings` : ''),
    `  evaluations     ${n(report.evaluations)} replayed`,
    `  derived events  ${n(derived.source)} in the source, ${n(derived.target)} in the target: ` +
      (derived.same === derived.source && derived.same === derived.target
        ? 'the same'
        : `${n(derived.same)} the same, ${n(derived.missing.count)} missing, ${n(derived.extra.count)} extra, ` +
          `${n(derived.differing.count)} with another payload`),
  ];
  for (const d of report.differences) {
    const verdict =
      d.verdict.status === 'rejected'
        ? `rejected ${d.verdict.errors.map((e) => e.code).join(', ')}`
        : d.verdict.status === 'accepted'
          ? `accepted with warnings ${JSON.stringify(d.verdict.warnings)} (stored: ${JSON.stringify(d.storedWarnings)})`
          : d.verdict.status;
    lines.push(`    source position ${d.position}, id ${d.id}: ${verdict}`);
  }
  for (const [what, list] of [
    ['missing', derived.missing],
    ['extra', derived.extra],
    ['with another payload', derived.differing],
  ] as const) {
    if (list.count > 0)
      lines.push(`    derived ${what}: ${list.ids.join(', ')}${list.count > list.ids.length ? ', …' : ''}`);
  }
  return lines;
}

export async function replayCommand(args: readonly string[], out: Output): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    ...STORE_FLAGS,
    from: { type: 'string' },
    json: { type: 'boolean' },
    batch: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values['help']) {
    out.stdout(replayHelp);
    return EXIT.ok;
  }
  if (positionals.length > 0)
    throw new UsageError('replay takes no positional arguments (the source is --from)');
  const from = values['from'];
  if (typeof from !== 'string' || from === '') throw new UsageError('replay needs --from SOURCE');
  const batch = Number(values['batch'] ?? 1000);
  if (!Number.isInteger(batch) || batch < 1 || batch > 10000) {
    throw new UsageError('--batch must be an integer from 1 to 10000');
  }
  const sourceConf = sourceConfig(from);
  const targetConf = resolveConfig(values);
  if (sameStore(sourceConf, targetConf)) throw new UsageError('the source and the target are the same store');
  const forms = loadFormsCatalog(targetConf.forms, {});
  const source = await openStore(sourceConf);
  let target: EventStore | undefined;
  const progress = new Progress('replay', undefined, 'client events');
  try {
    target = await openStore(targetConf);
    const report = await replayStore(
      source,
      { store: target, forms, origin: `replay:${describeStore(sourceConf)}` },
      { batch, onProgress: (done) => progress.update(done) },
    );
    progress.done();
    if (values['json']) out.stdout(JSON.stringify({ ...report, matched: replayMatched(report) }));
    else
      for (const line of render(report, describeStore(sourceConf), describeStore(targetConf)))
        out.stdout(line);
    return replayMatched(report) ? EXIT.ok : EXIT.rejected;
  } catch (error) {
    progress.done();
    if (error instanceof ReplayTargetNotEmpty) {
      throw new UsageError(
        `${error.message}: replay writes only into an empty store (${describeStore(targetConf)})`,
      );
    }
    throw error;
  } finally {
    await target?.close();
    await source.close();
  }
}
