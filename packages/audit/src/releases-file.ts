/**
 * The Squirrel.Windows `RELEASES` file (and Velopack's `RELEASES`, `RELEASES-{channel}`),
 * read as both projects' parsers read it (ReleaseEntry.ParseReleaseEntry):
 *
 * - the text is UTF-8, a leading byte-order mark dropped; lines split at `\n` (a trailing
 *   `\r` ignored), blank lines skipped;
 * - everything from the first `#` on a line is a comment; a line that is only a comment is
 *   skipped. A line ending in `# N%` (one to three digits) stages that package for N % of
 *   users (a percentage on a line of its own stages nothing);
 * - a package line is `SHA1 FILE SIZE`: 40 hex digits in either case, white space, the
 *   file, white space, a decimal size. FILE is a file name (Velopack allows spaces in it)
 *   or an absolute http(s) URL, whose last path segment is the file name and whose query
 *   string is kept; a file name with a path separator or `"<>|` is refused, as both refuse it;
 * - a file name ending in `-delta.nupkg` is a delta package, applied to the previous full one.
 *
 * The audit is lenient where it costs nothing (white space around a line, a `\r` before a
 * staging comment), and refuses with the line what the clients refuse.
 */
import { decodeUtf8, FEED_ERRORS, FeedFormatError } from "./errors.js";

/** Bounds of {@link parseReleases}, each a named default. */
export const RELEASES_LIMITS = {
  /** Lines (a real RELEASES file has a few dozen). */
  maxLines: 100_000,
  /** Characters on one line (a URL with a query string fits many times over). */
  maxLineChars: 8192,
} as const;

/** One package line. */
export interface ReleasesEntry {
  /** The SHA-1, lower case. */
  readonly sha1: string;
  /** The second field as written: a file name or a URL. */
  readonly file: string;
  /** The file name (a URL's last path segment, decoded). */
  readonly name: string;
  /** The absolute URL, when the line gives one. */
  readonly url?: string;
  /** The URL's query string (with its `?`), when there is one. */
  readonly query?: string;
  readonly size: number;
  readonly delta: boolean;
  /** The staged-rollout percentage of the line's `# N%` comment. */
  readonly stagingPercentage?: number;
  /** 1-based line number. */
  readonly line: number;
  /** The line as written, without its line break. */
  readonly text: string;
}

/** A comment line that holds only a staging percentage: Squirrel applies it to nothing. */
export interface StrayStaging {
  readonly percentage: number;
  readonly line: number;
  readonly text: string;
}

/** What {@link parseReleases} reads. */
export interface ReleasesFile {
  readonly entries: readonly ReleasesEntry[];
  /** Comment lines that are only a staging percentage. */
  readonly strayStaging: readonly StrayStaging[];
  /** Lines that are only a comment (staging ones included). */
  readonly comments: number;
}

const SHA1 = /^[0-9a-fA-F]{40}$/;
const STAGING = /#\s+(\d{1,3})%\s*$/;
const WHITE = /\s/;
/** Characters Squirrel (Windows file names) and Velopack refuse in a file name. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are not file-name characters
const BAD_NAME = /["/\\<>|:*?\u0000-\u001f]/;
const MAX_SIZE = 2n ** 63n - 1n;

function fail(message: string, line?: number): never {
  throw new FeedFormatError(FEED_ERRORS.RELEASES, `RELEASES: ${message}`, line);
}

/** `text` without the comment that starts at its first `#`, and the staging percentage it gives. */
function splitComment(text: string): { content: string; staging?: number } {
  const m = STAGING.exec(text);
  const hash = text.indexOf("#");
  const content = hash < 0 ? text : text.slice(0, hash);
  return m === null ? { content } : { content, staging: Number(m[1]) };
}

/** The index of the last white-space character of `s`, or -1 (a linear scan, no regex backtracking). */
function lastWhite(s: string): number {
  for (let i = s.length - 1; i >= 0; i--) if (WHITE.test(s[i] as string)) return i;
  return -1;
}

function parseFile(file: string, line: number): Pick<ReleasesEntry, "name" | "url" | "query"> {
  if (/^https?:\/\//i.test(file)) {
    let url: URL;
    try {
      url = new URL(file);
    } catch {
      return fail(`${JSON.stringify(file.slice(0, 80))} is not a valid URL`, line);
    }
    const segment = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
    let name: string;
    try {
      name = decodeURIComponent(segment);
    } catch {
      return fail(`${JSON.stringify(file.slice(0, 80))} has a badly escaped path`, line);
    }
    if (name === "" || BAD_NAME.test(name)) fail(`the URL ${file.slice(0, 80)} does not end in a file name`, line);
    return { name, url: url.href, ...(url.search === "" ? {} : { query: url.search }) };
  }
  if (BAD_NAME.test(file)) {
    fail(
      `${JSON.stringify(file.slice(0, 80))} is neither a file name nor an http(s) URL (Squirrel and Velopack refuse paths)`,
      line,
    );
  }
  return { name: file };
}

function parseEntry(content: string, staging: number | undefined, line: number, text: string): ReleasesEntry {
  const body = content.trim();
  const firstWhite = body.search(WHITE);
  const sha1 = firstWhite < 0 ? body : body.slice(0, firstWhite);
  if (!SHA1.test(sha1)) fail("expected `SHA1 file size`: the line does not start with a 40-digit SHA-1", line);
  const rest = body.slice(firstWhite).trimStart();
  const cut = lastWhite(rest);
  if (firstWhite < 0 || cut < 0) fail("expected `SHA1 file size`: a field is missing", line);
  const file = rest.slice(0, cut).trimEnd();
  const sizeText = rest.slice(cut + 1);
  if (!/^\d+$/.test(sizeText))
    fail(`expected \`SHA1 file size\`: the size ${JSON.stringify(sizeText)} is not a number`, line);
  if (BigInt(sizeText) > MAX_SIZE) fail(`the size ${sizeText} is larger than a 64-bit integer`, line);
  const where = parseFile(file, line);
  return {
    sha1: sha1.toLowerCase(),
    file,
    ...where,
    size: Number(sizeText),
    delta: /-delta\.nupkg$/i.test(where.name),
    ...(staging === undefined ? {} : { stagingPercentage: staging }),
    line,
    text,
  };
}

/**
 * Reads a RELEASES file.
 * @throws {FeedFormatError} `AUDIT_BAD_ENCODING`; `AUDIT_TOO_LARGE` past {@link RELEASES_LIMITS};
 * `AUDIT_BAD_RELEASES` for a line that is neither blank, a comment nor `SHA1 file size`, naming the line.
 */
export function parseReleases(input: Uint8Array | string): ReleasesFile {
  const text = (typeof input === "string" ? input : decodeUtf8(input)).replace(/^\uFEFF/, "");
  const lines = text.split("\n");
  if (lines.length > RELEASES_LIMITS.maxLines) {
    throw new FeedFormatError(
      FEED_ERRORS.TOO_LARGE,
      `RELEASES: more than ${RELEASES_LIMITS.maxLines} lines (the audit's maxLines bound)`,
    );
  }
  const entries: ReleasesEntry[] = [];
  const strayStaging: StrayStaging[] = [];
  let comments = 0;
  for (const [i, raw] of lines.entries()) {
    const line = i + 1;
    if (raw.length > RELEASES_LIMITS.maxLineChars) {
      throw new FeedFormatError(
        FEED_ERRORS.TOO_LARGE,
        `RELEASES: line ${line} is longer than ${RELEASES_LIMITS.maxLineChars} characters (the audit's maxLineChars bound)`,
        line,
      );
    }
    const shown = raw.replace(/\r+$/, "");
    if (shown.trim() === "") continue;
    const { content, staging } = splitComment(shown);
    if (content.trim() === "") {
      comments++;
      if (staging !== undefined) strayStaging.push({ percentage: staging, line, text: shown.trim() });
      continue;
    }
    entries.push(parseEntry(content, staging, line, shown));
  }
  return { entries, strayStaging, comments };
}

/** True when `text` looks like a RELEASES file: its first line that is not blank or a comment is a package line. */
export function looksLikeReleases(text: string): boolean {
  for (const raw of text.replace(/^\uFEFF/, "").split("\n", 200)) {
    const content = splitComment(raw.replace(/\r+$/, "")).content.trim();
    if (content === "") continue;
    return /^[0-9a-fA-F]{40}\s+\S.*\s\d+$/.test(content);
  }
  return false;
}
