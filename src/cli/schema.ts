import { asyncApiDocument, contractJsonSchema } from '../contract/index.js';
import { EXIT, parseCommandArgs } from './args.js';
import type { Output } from './output.js';

export const schemaHelp = `Usage: webinar-events schema [--asyncapi]

Prints the JSON Schema (2020-12) of every event, or with --asyncapi the AsyncAPI 3 document of the bus.
The same documents are checked in under schema/ and served at GET /v1/schema and GET /v1/asyncapi.`;

export async function schemaCommand(args: readonly string[], out: Output): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    { asyncapi: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    false,
  );
  if (values['help']) {
    out.stdout(schemaHelp);
    return EXIT.ok;
  }
  out.stdout(JSON.stringify(values['asyncapi'] ? asyncApiDocument() : contractJsonSchema(), null, 2));
  return EXIT.ok;
}
