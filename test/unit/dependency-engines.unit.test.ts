import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import semver from 'semver';

/**
 * Every installed package must declare that it runs on the oldest Node this service supports (package.json
 * `engines.node`), or be listed here after a review, with what was checked. A new or upgraded dependency that
 * declares a newer Node fails this test instead of surfacing as a crash on a user's Node 20.
 * Keyed by name@version, so an upgrade of a listed package is reviewed again.
 */
const REVIEWED: Readonly<Record<string, string>> = {
  '@nats-io/nuid@3.0.0':
    'pinned exactly by @nats-io/nats-core 3.4.0; plain JS whose only platform call is globalThis.crypto.getRandomValues (Node 19+); every NATS test runs it',
  'cookie@2.0.2':
    'fastify 5 → light-my-request (app.inject); plain string parsing, no Node API; loaded by every HTTP test',
  'eslint-visitor-keys@5.0.1':
    'development only (typescript-eslint), declares ^20.19; runs in `npm test` lint on the Node of the machine',
};

interface LockEntry {
  readonly version?: string;
  readonly engines?: { readonly node?: unknown } | readonly string[];
  readonly dev?: boolean;
}

function packageName(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

describe('dependencies: each runs on the Node this service supports', () => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const oldest = semver.minVersion(manifest.engines.node)!.version;

  const declaringNewer = new Map<string, string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === '' || entry.engines === undefined || Array.isArray(entry.engines)) continue;
    const range = (entry.engines as { node?: unknown }).node;
    if (typeof range !== 'string') continue;
    if (!semver.satisfies(oldest, range)) {
      declaringNewer.set(`${packageName(path)}@${entry.version ?? '?'}`, range);
    }
  }

  it(`the tests run on a Node that package.json admits (${manifest.engines.node})`, () => {
    assert.ok(semver.satisfies(process.version, manifest.engines.node), process.version);
  });

  it(`every package that declares a Node newer than ${oldest} has been reviewed`, () => {
    const unreviewed = [...declaringNewer].filter(([key]) => REVIEWED[key] === undefined);
    assert.deepEqual(
      unreviewed.map(([key, range]) => `${key} declares node ${range}`),
      [],
      'review these (do they use an API Node 20 lacks?), then list them in REVIEWED with what was checked',
    );
  });

  it('no stale review: each listed package is installed and still declares a newer Node', () => {
    const stale = Object.keys(REVIEWED).filter((key) => !declaringNewer.has(key));
    assert.deepEqual(stale, [], 'remove these from REVIEWED');
  });
});
