function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** The two decimal digits at `i` as a number, or -1. */
function two(value: string, i: number): number {
  const a = value.charCodeAt(i) - 48;
  const b = value.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * An RFC 3339 `date-time` with an explicit offset: `Z` or `±hh:mm` (no `±hhmm`, no space separator),
 * a real calendar date, at most nanosecond precision, and second `60` only where a leap second can be: at 23:59
 * UTC once the offset is applied (RFC 3339 §5.7; as JSON Schema validators' `date-time` format checks it).
 * Written as a scan rather than a regex: it runs for every timestamp of every event.
 */
export function isRfc3339Instant(value: string): boolean {
  const n = value.length;
  if (n < 20 || n > 35) return false;
  const century = two(value, 0);
  const yy = two(value, 2);
  const month = two(value, 5);
  const day = two(value, 8);
  const hour = two(value, 11);
  const minute = two(value, 14);
  const second = two(value, 17);
  if (century < 0 || yy < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || minute < 0 || second < 0)
    return false;
  if (value[4] !== '-' || value[7] !== '-' || value[13] !== ':' || value[16] !== ':') return false;
  const t = value[10];
  if (t !== 'T' && t !== 't') return false;
  if (day > daysInMonth(century * 100 + yy, month) || hour > 23 || minute > 59 || second > 60) return false;
  let i = 19;
  if (value[i] === '.') {
    const start = ++i;
    while (i < n && value.charCodeAt(i) >= 48 && value.charCodeAt(i) <= 57) i++;
    if (i === start || i - start > 9) return false;
  }
  const zone = value[i];
  if (zone === 'Z' || zone === 'z') return i === n - 1 && (second < 60 || isLeapMinute(hour, minute, 0));
  if (zone !== '+' && zone !== '-') return false;
  if (n - i !== 6 || value[i + 3] !== ':') return false;
  const offsetHours = two(value, i + 1);
  const offsetMinutes = two(value, i + 4);
  if (offsetHours < 0 || offsetHours > 23 || offsetMinutes < 0 || offsetMinutes > 59) return false;
  const offset = (zone === '+' ? 1 : -1) * (offsetHours * 60 + offsetMinutes);
  return second < 60 || isLeapMinute(hour, minute, offset);
}

/** Whether local hh:mm at `offset` minutes east of UTC is 23:59 UTC, the only minute with a leap second. */
function isLeapMinute(hour: number, minute: number, offset: number): boolean {
  return (((hour * 60 + minute - offset) % 1440) + 1440) % 1440 === 23 * 60 + 59;
}
