/**
 * Errors of the audit, on Bulwark's one error tree: a feed that does not parse is a
 * {@link FormatError} (the vendor's server sent bad bytes), never a crash; a feed that
 * cannot be fetched is a {@link DownloadError}; an input that is not a feed at all is a
 * {@link UsageError}. Each carries a stable code and, where there is one, what to do next.
 */
import { DownloadError, FormatError, UsageError } from "@bulwark/tuf";

/** Stable codes of {@link FeedFormatError}. */
export const FEED_ERRORS = {
  /** Not in the YAML subset electron-updater feeds use, or not YAML at all. */
  YAML: "AUDIT_BAD_YAML",
  /** Not a Squirrel.Windows RELEASES file (`SHA1 filename size` lines). */
  RELEASES: "AUDIT_BAD_RELEASES",
  /** Not valid JSON, or not TUF metadata. */
  JSON: "AUDIT_BAD_JSON",
  /** Not well-formed XML. */
  XML: "AUDIT_BAD_XML",
  /** A DTD or entity declaration: refused, never expanded (billion laughs, external entities). */
  XML_ENTITY: "AUDIT_XML_ENTITY_REFUSED",
  /** Nested deeper than the reader allows. */
  TOO_DEEP: "AUDIT_TOO_DEEP",
  /** More nodes, attributes or bytes than the reader allows. */
  TOO_LARGE: "AUDIT_TOO_LARGE",
  /** Not valid UTF-8, or a declared encoding other than UTF-8. */
  ENCODING: "AUDIT_BAD_ENCODING",
} as const;

/** A feed document that does not parse, with where (1-based line and column) when known. */
export class FeedFormatError extends FormatError {
  constructor(
    code: (typeof FEED_ERRORS)[keyof typeof FEED_ERRORS],
    message: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    super(
      line === undefined ? message : `${message} (line ${line}${column === undefined ? "" : `, column ${column}`})`,
      {
        code,
      },
    );
  }
}

/** Decodes strict UTF-8 (a leading BOM dropped). @throws {FeedFormatError} `AUDIT_BAD_ENCODING` */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new FeedFormatError(FEED_ERRORS.ENCODING, "the document is not valid UTF-8");
  }
}

/** Stable codes of {@link FeedFetchError}. */
export const FETCH_ERRORS = {
  /** Connection refused, DNS failure, reset: the feed could not be reached. */
  UNREACHABLE: "AUDIT_UNREACHABLE",
  /** HTTP 404, or no such file. */
  NOT_FOUND: "AUDIT_NOT_FOUND",
  /** Any other non-200 HTTP status. */
  HTTP_STATUS: "AUDIT_HTTP_STATUS",
  /** More bytes than allowed (an endless-data response). */
  TOO_LARGE: "AUDIT_TOO_LARGE",
  /** No answer, or no complete body, within the time allowed. */
  TIMEOUT: "AUDIT_TIMEOUT",
  /** A redirect to another host, to plain HTTP, or too many redirects: not followed. */
  REDIRECT: "AUDIT_REDIRECT_REFUSED",
  /** Not an http(s) URL. */
  SCHEME: "AUDIT_UNSUPPORTED_URL",
} as const;

/** Fetching a feed failed: a clear error with what to do next (`hint`), never a finding. */
export class FeedFetchError extends DownloadError {
  /** The HTTP status, when the server answered with one. */
  readonly status: number | undefined;

  constructor(
    code: (typeof FETCH_ERRORS)[keyof typeof FETCH_ERRORS],
    message: string,
    options: { hint?: string | undefined; status?: number | undefined; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause, hint: options.hint });
    this.status = options.status;
  }
}

/** Stable codes of {@link AuditInputError}. */
export const INPUT_ERRORS = {
  /** A folder that holds no TUF metadata. */
  NOT_A_FEED: "NOT_A_FEED",
  /** A file given to `compareReports` that is not an audit report. */
  BAD_REPORT: "AUDIT_BAD_REPORT",
} as const;

/** The caller gave something that is not a feed (or not a report): a usage error, with what to give instead. */
export class AuditInputError extends UsageError {
  constructor(code: (typeof INPUT_ERRORS)[keyof typeof INPUT_ERRORS], message: string, hint?: string) {
    super(message, { code, hint });
  }
}
