import { packageVersion } from '../version.js';
import { EXIT, UsageError } from './args.js';
import { ProcessOutput, type Output } from './output.js';

type Command = (args: readonly string[], out: Output) => Promise<number>;

/** Each command's module is imported when it runs: `validate` does not load the HTTP server, nor `ingest` pg. */
const COMMANDS: Record<string, { load: () => Promise<Command>; summary: string }> = {
  serve: {
    load: async () => (await import('./serve.js')).serveCommand,
    summary: 'run the HTTP API with the classifier and router (npm start)',
  },
  ingest: {
    load: async () => (await import('./ingest.js')).ingestCommand,
    summary: 'take an NDJSON file through the pipeline into the store',
  },
  evaluate: {
    load: async () => (await import('./evaluate.js')).evaluateCommand,
    summary: 'explicit attendance evaluation of a webinar',
  },
  report: {
    load: async () => (await import('./report.js')).reportCommand,
    summary: 'attendance report of a webinar',
  },
  rejections: {
    load: async () => (await import('./rejections.js')).rejectionsCommand,
    summary: 'print the quarantine, or its inputs as NDJSON to ingest again once fixed',
  },
  replay: {
    load: async () => (await import('./replay.js')).replayCommand,
    summary: 'replay a store into an empty one (SQLite to PostgreSQL and back) and compare what each derived',
  },
  worker: {
    load: async () => (await import('./worker.js')).workerCommand,
    summary: 'run one processor (classifier, router, relay) as its own process',
  },
  validate: {
    load: async () => (await import('./validate.js')).validateCommand,
    summary: 'judge an NDJSON file against the contract; writes nothing',
  },
  simulate: {
    load: async () => (await import('./simulate.js')).simulateCommand,
    summary: 'write a realistic NDJSON event stream (optional faults)',
  },
  bench: {
    load: async () => (await import('./bench.js')).benchCommand,
    summary: 'run the benchmarks (npm run bench; --quick, --only, --help)',
  },
  schema: {
    load: async () => (await import('./schema.js')).schemaCommand,
    summary: 'print the JSON Schema of every event (--asyncapi: AsyncAPI 3)',
  },
};

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
      out.stdout(packageVersion());
      return EXIT.ok;
    }
    const command = COMMANDS[name];
    if (command === undefined) {
      out.stderr(`webinar-events: unknown command "${name}"\n\n${mainHelp()}`);
      return EXIT.usage;
    }
    const run = await command.load();
    return await run(rest, out);
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
