/**
 * Entry paths and link targets, checked as untrusted input before anything touches the
 * file system. A path is refused unless it is a plain relative path of plain segments:
 * nothing absolute (`/x`, `C:\x`, `\\server`), no `..`, no backslash, colon, NUL or other
 * control character, no empty or `.` segment (a leading `./` is allowed: `tar -C dir .`).
 */
import { ARCHIVE_ERRORS, ArchiveError, entryLabel } from "./errors.js";
import { MAX_SEGMENT_LENGTH } from "./limits.js";

/**
 * The first character no path may hold: C0 and C1 controls, DEL, backslash and colon.
 * Colons are refused on every platform: on Windows they name a drive (`C:x`) or an alternate
 * data stream (`a:b`), and one archive must extract the same way everywhere.
 */
function forbiddenCharacter(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return "a control character";
    if (c === 0x5c) return "a backslash";
    if (c === 0x3a) return "a colon";
  }
  return undefined;
}

/** An `ARCHIVE_UNSAFE_PATH` refusal of entry `name`. */
export function unsafe(name: string, why: string): ArchiveError {
  return new ArchiveError(ARCHIVE_ERRORS.UNSAFE_PATH, `${entryLabel(name)} ${why}`);
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Refuses the characters and forms no path or link target may have. */
function checkCharacters(name: string, value: string, what: string, maxLength: number): void {
  if (value.length === 0) throw unsafe(name, `has an empty ${what}`);
  if (!value.isWellFormed()) throw unsafe(name, `has a ${what} that is not well-formed Unicode`);
  if (utf8Length(value) > maxLength) {
    throw new ArchiveError(
      ARCHIVE_ERRORS.TOO_LARGE,
      `${entryLabel(name)} has a ${what} longer than maxPathLength (${maxLength} bytes)`,
    );
  }
  const bad = forbiddenCharacter(value);
  if (bad !== undefined) throw unsafe(name, `has ${bad} in its ${what}`);
  if (value.startsWith("/")) throw unsafe(name, `has an absolute ${what}`);
}

/**
 * The segments of an entry path, or `[]` for the archive root itself (`.` or `./`).
 * One trailing `/` (a directory's) is allowed.
 * @throws {ArchiveError} `ARCHIVE_UNSAFE_PATH`, or `ARCHIVE_TOO_LARGE` past `maxPathLength`.
 */
export function parseEntryPath(name: string, maxPathLength: number): string[] {
  checkCharacters(name, name, "path", maxPathLength);
  const body = name.endsWith("/") ? name.slice(0, -1) : name;
  const segments = body.split("/");
  let start = 0;
  while (start < segments.length && segments[start] === ".") start += 1;
  const rest = segments.slice(start);
  for (const segment of rest) {
    if (segment === "..") throw unsafe(name, "climbs out with a `..` segment");
    if (segment === "" || segment === ".") throw unsafe(name, "has an empty or `.` segment");
    if (utf8Length(segment) > MAX_SEGMENT_LENGTH) {
      throw unsafe(name, `has a segment longer than ${MAX_SEGMENT_LENGTH} bytes`);
    }
  }
  return rest;
}

/**
 * Checks a link's target text: relative, free of the characters paths may not have, and not
 * climbing above the root when read lexically from `depth` directories down (a symbolic
 * link's parent, or the root for a tar hard link). Where it points through other links is
 * checked when the whole tree is known ({@link EntryTree.resolveLink}).
 * @throws {ArchiveError} `ARCHIVE_UNSAFE_PATH`, or `ARCHIVE_TOO_LARGE` past `maxPathLength`.
 */
export function checkLinkTarget(name: string, target: string, depth: number, maxPathLength: number): void {
  checkCharacters(name, target, "link target", maxPathLength);
  let level = depth;
  for (const part of target.split("/")) {
    if (part === "..") level -= 1;
    else if (part !== "" && part !== ".") level += 1;
    if (level < 0) throw linkOutside(name, target);
  }
}

/** The refusal of a link whose target leaves the destination. */
export function linkOutside(name: string, target: string): ArchiveError {
  return unsafe(name, `is a link to ${JSON.stringify(target)}, outside the destination`);
}
