/**
 * Weekly maintenance windows in UTC: whether an instant is inside one, and when the next one
 * opens. Pure arithmetic on milliseconds; UTC has no daylight saving to skip.
 */
import { type MaintenanceWindow, WEEKDAYS } from "./model.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** The windows' openings and closings over the 8 days from `now`'s midnight (UTC), as [start, end). */
function spans(windows: readonly MaintenanceWindow[], now: Date): [number, number][] {
  const midnight = Math.floor(now.getTime() / DAY) * DAY;
  const out: [number, number][] = [];
  for (let day = -1; day <= 7; day++) {
    const base = midnight + day * DAY;
    const weekday = WEEKDAYS[new Date(base).getUTCDay()];
    for (const w of windows) {
      if (weekday !== undefined && w.days.includes(weekday)) {
        out.push([base + w.startMinute * MINUTE, base + w.endMinute * MINUTE]);
      }
    }
  }
  return out;
}

/**
 * Whether publishing may happen at `now`: true when there are no windows or `now` is inside
 * one; otherwise the instant the next window opens.
 */
export function windowOpen(windows: readonly MaintenanceWindow[], now: Date): true | Date {
  if (windows.length === 0) return true;
  const t = now.getTime();
  let next = Number.POSITIVE_INFINITY;
  for (const [start, end] of spans(windows, now)) {
    if (start <= t && t < end) return true;
    if (start > t) next = Math.min(next, start);
  }
  // Every window opens at least once a week, so `next` is always found within 8 days.
  return new Date(next);
}
