import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 7 * 86400, y: 365 * 86400 };

/**
 * Parses a duration like `365d`, `12h`, `90m` or `2w` into seconds.
 * @throws {PublisherError} `BAD_DURATION` for anything else.
 */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+)([smhdwy])$/.exec(text.trim());
  if (m === null || Number(m[1]) <= 0) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_DURATION,
      `${what}: ${JSON.stringify(text)} is not a duration like 7d, 12h or 2w`,
    );
  }
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

/** Formats seconds as the largest whole unit: `90d`, `12h`. */
export function formatDuration(seconds: number): string {
  for (const unit of ["y", "w", "d", "h", "m"] as const) {
    const size = UNITS[unit] as number;
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}
