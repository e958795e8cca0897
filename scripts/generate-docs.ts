/**
 * Writes the derived contract documents (schema/*.json) from src/contract, or with --check fails when the
 * checked-in copies drift from the source.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EVENT_TYPES, asyncApiDocument, contractJsonSchema, eventJsonSchema } from '../src/contract/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outDir = join(root, 'schema');

export function derivedDocuments(): Map<string, string> {
  const docs = new Map<string, string>();
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  docs.set('webinar-events.schema.json', json(contractJsonSchema()));
  for (const type of EVENT_TYPES) docs.set(`${type}.schema.json`, json(eventJsonSchema(type)));
  docs.set('asyncapi.json', json(asyncApiDocument()));
  return docs;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

const check = process.argv.includes('--check');
const drifted: string[] = [];
mkdirSync(outDir, { recursive: true });
for (const [name, content] of derivedDocuments()) {
  const path = join(outDir, name);
  if (read(path) === content) continue;
  if (check) drifted.push(name);
  else writeFileSync(path, content);
}
if (drifted.length > 0) {
  console.error(`schema/ has drifted from src/contract: ${drifted.join(', ')}. Run: npm run generate`);
  process.exit(1);
}
console.log(check ? 'schema/ matches src/contract' : `wrote schema/ (${derivedDocuments().size} documents)`);
