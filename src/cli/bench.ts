import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EXIT } from './args.js';
import type { Output } from './output.js';

/** The benchmark runner, built from bench/ beside the CLI (a checkout, after `npm install`). */
const RUNNER = fileURLToPath(new URL('../../bench/main.js', import.meta.url));

/** Runs the benchmark runner as a child process with the same arguments; its exit code is the command's. */
export async function benchCommand(args: readonly string[], out: Output): Promise<number> {
  if (!existsSync(RUNNER)) {
    out.stderr(
      `the benchmarks are not built here (${RUNNER} is missing): run it from a checkout after npm install`,
    );
    return EXIT.failure;
  }
  return new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [RUNNER, ...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? EXIT.failure));
    child.on('error', () => resolve(EXIT.failure));
  });
}
