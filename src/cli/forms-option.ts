import { readFileSync } from 'node:fs';
import { EMPTY_FORMS_CATALOG, parseFormsCatalog, type FormsCatalog } from '../intake/index.js';

/** The forms catalog from `--forms`, else WEBINAR_EVENTS_FORMS, else none (every form allows one submission). */
export function loadFormsCatalog(flag: string | undefined, env = process.env): FormsCatalog {
  const path = flag ?? env['WEBINAR_EVENTS_FORMS'];
  if (path === undefined || path === '') return EMPTY_FORMS_CATALOG;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the forms catalog ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`the forms catalog ${path} is not JSON: ${(error as Error).message}`);
  }
  return parseFormsCatalog(json, path);
}
