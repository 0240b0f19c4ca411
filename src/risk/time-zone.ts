/**
 * IANA time zone helpers over Intl: validation, and the wall clock of an instant in a zone.
 * Intl.DateTimeFormat objects are costly to build, so there is one per zone, kept for the life
 * of the isolate (there are only a few hundred zones).
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

/**
 * True when `timezone` names an IANA zone that Intl knows (`Europe/Prague`, `UTC`,
 * `Etc/GMT-2`). UTC offsets such as `+01:00`, which newer Intl versions also accept, are
 * rejected: they have no DST rules and are not zone names.
 */
export function isIanaTimeZone(timezone: string): boolean {
  if (!/^[A-Za-z]/.test(timezone)) return false;
  try {
    formatterFor(timezone);
    return true;
  } catch {
    return false;
  }
}

let canonicalByLowerCase: Map<string, string> | undefined;

/**
 * The zone name with the canonical spelling when it differs only by case
 * (`europe/prague` -> `Europe/Prague`); any other accepted name is returned unchanged.
 * Links are not replaced by their targets, because engines disagree on that.
 */
export function canonicalTimeZone(timezone: string): string {
  if (canonicalByLowerCase === undefined) {
    canonicalByLowerCase = new Map();
    for (const zone of Intl.supportedValuesOf("timeZone")) {
      canonicalByLowerCase.set(zone.toLowerCase(), zone);
    }
  }
  return canonicalByLowerCase.get(timezone.toLowerCase()) ?? timezone;
}

/**
 * The wall clock of instant `atMs` in `timezone`, expressed as epoch ms of the same
 * date and time in UTC. `wallClockMs(t, zone) - t` is the zone's UTC offset at `t`, in ms.
 * Throws RangeError for an unknown zone.
 */
export function wallClockMs(atMs: number, timezone: string): number {
  const wholeSecondMs = Math.floor(atMs / 1000) * 1000;
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(timezone).formatToParts(wholeSecondMs)) {
    switch (part.type) {
      case "year":
        year = Number(part.value);
        break;
      case "month":
        month = Number(part.value);
        break;
      case "day":
        day = Number(part.value);
        break;
      case "hour":
        hour = Number(part.value);
        break;
      case "minute":
        minute = Number(part.value);
        break;
      case "second":
        second = Number(part.value);
        break;
    }
  }
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, atMs - wholeSecondMs);
  return date.getTime();
}
