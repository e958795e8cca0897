/** Which post-webinar forms allow re-submission (SPEC §3). Any form not listed allows one submission. */
export interface FormsCatalog {
  readonly resubmittable: ReadonlySet<string>;
}

export const EMPTY_FORMS_CATALOG: FormsCatalog = { resubmittable: new Set() };

/** Parses `{"forms":{"<form_id>":{"resubmittable":true}}}`; throws with a clear message otherwise. */
export function parseFormsCatalog(json: unknown, origin = 'forms catalog'): FormsCatalog {
  const forms = (json as { forms?: unknown } | null)?.forms;
  if (forms === null || typeof forms !== 'object' || Array.isArray(forms)) {
    throw new Error(`${origin}: expected {"forms":{"<form_id>":{"resubmittable":true|false}}}`);
  }
  const resubmittable = new Set<string>();
  for (const [formId, spec] of Object.entries(forms)) {
    const flag = (spec as { resubmittable?: unknown } | null)?.resubmittable;
    if (typeof flag !== 'boolean') {
      throw new Error(`${origin}: forms["${formId}"].resubmittable must be true or false`);
    }
    if (flag) resubmittable.add(formId);
  }
  return { resubmittable };
}
