/** The items of a comma-separated setting (`a, b,,c` → `[a, b, c]`); unset or blank: none. */
export function settingList(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
