/**
 * Debian's Chromium for the browser tests, driven by playwright-core (which downloads no browser). Not a test file.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Flags of a quiet, offline, headless Chromium (no sandbox: tests may run as root in a container). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--no-first-run',
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** WEBINAR_EVENTS_CHROMIUM, else /usr/bin/chromium, else `chromium` (or `chromium-browser`) on PATH; else null. */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | null {
  const explicit = env['WEBINAR_EVENTS_CHROMIUM'];
  if (explicit !== undefined && explicit !== '') return executable(explicit) ? explicit : null;
  if (executable('/usr/bin/chromium')) return '/usr/bin/chromium';
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    for (const name of ['chromium', 'chromium-browser']) {
      const path = join(dir, name);
      if (executable(path)) return path;
    }
  }
  return null;
}

/**
 * The Chromium to use, or null after one loud line saying the browser tests are skipped. With
 * WEBINAR_EVENTS_REQUIRE_SERVICES=1 (CI, where .ci/run installs it) a missing Chromium is an error instead.
 */
export function chromiumOrSkip(): string | null {
  const path = findChromium();
  if (path !== null) return path;
  if (process.env['WEBINAR_EVENTS_REQUIRE_SERVICES'] === '1') {
    throw new Error(
      'Chromium is required (WEBINAR_EVENTS_REQUIRE_SERVICES=1) but was not found: apt-get install -y chromium',
    );
  }
  console.warn(
    '!!! SKIPPING the browser tests (console, CORS): Chromium not found at /usr/bin/chromium or on PATH ' +
      '(apt-get install -y chromium, or set WEBINAR_EVENTS_CHROMIUM)',
  );
  return null;
}

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}
