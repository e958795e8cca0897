import { readFileSync } from 'node:fs';
import { EXIT, UsageError } from './args.js';
import { ProcessOutput, type Output } from './output.js';
import { benchCommand } from './bench.js';
import { evaluateCommand } from './evaluate.js';
import { ingestCommand } from './ingest.js';
import { reportCommand } from './report.js';
import { schemaCommand } from './schema.js';
import { serveCommand } from './serve.js';
import { workerCommand } from './worker.js';
import { simulateCommand } from './simulate.js';
import { validateCommand } from './validate.js';

type Command = (args: readonly string[], out: Output) => Promise<number>;

const COMMANDS: Record<string, { run: Command; summary: string }> = {
  serve: { run: serveCommand, summary: 'run the HTTP API with the classifier and router (npm start)' },
  ingest: { run: ingestCommand, summary: 'take an NDJSON file through the pipeline into the store' },
  evaluate: { run: evaluateCommand, summary: 'explicit attendance evaluation of a webinar' },
  report: { run: reportCommand, summary: 'attendance report of a webinar' },
  worker: { run: workerCommand, summary: 'run one processor (classifier, router, relay) as its own process' },
  validate: { run: validateCommand, summary: 'judge an NDJSON file against the contract; writes nothing' },
  simulate: { run: simulateCommand, summary: 'write a realistic NDJSON event stream (optional faults)' },
  bench: { run: benchCommand, summary: 'run the benchmarks (npm run bench; --quick, --only, --help)' },
  schema: { run: schemaCommand, summary: 'print the JSON Schema of every event (--asyncapi: AsyncAPI 3)' },
};

function version(): string {
  const url = new URL('../../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
}

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: webinar-events <command> [options]

The canonical client webinar events, held to their contract.

Commands:
${lines.join('\n')}

Run 'webinar-events <command> --help' for a command's options.`;
}

export async function main(
  argv: readonly string[],
  out: ProcessOutput = new ProcessOutput(),
): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      out.stdout(mainHelp());
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === '--version' || name === '-v') {
      out.stdout(version());
      return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (command === undefined) {
      out.stderr(`webinar-events: unknown command "${name}"\n\n${mainHelp()}`);
      return EXIT.usage;
    }
    return await command.run(rest, out);
  } catch (error) {
    if (error instanceof UsageError) {
      out.stderr(`webinar-events ${name}: ${error.message}\nRun 'webinar-events ${name} --help' for usage.`);
      return EXIT.usage;
    }
    out.stderr(`webinar-events ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.failure;
  } finally {
    out.flush();
  }
}
