/**
 * Errors of the gateway's sources, on the one error tree of @bulwark/tuf: a source
 * configured wrongly is the caller's mistake (a {@link UsageError}); a feed that cannot be
 * read is the vendor's server (a {@link DownloadError} or a {@link FormatError}). A release
 * that fails its checks is not an error: it is recorded as suspicious, with evidence.
 */
import { DownloadError, FormatError, UsageError } from "@bulwark/tuf";

/** Stable codes of the sources' errors. */
export const SOURCE_ERRORS = {
  /** The source's configuration is invalid (a URL, a key, a hash). */
  BAD_CONFIG: "SOURCE_BAD_CONFIG",
  /** The feed could not be fetched (unreachable, HTTP error, too large, too slow). */
  FETCH_FAILED: "SOURCE_FETCH_FAILED",
  /** The feed was fetched but is not a feed of its kind. */
  BAD_FEED: "SOURCE_BAD_FEED",
} as const;

/** A source configured wrongly. */
export class SourceConfigError extends UsageError {
  constructor(message: string, hint?: string) {
    super(message, { code: SOURCE_ERRORS.BAD_CONFIG, hint });
  }
}

/** A feed that could not be fetched; the poll is tried again at its next time. */
export class SourceFetchError extends DownloadError {
  constructor(message: string, options: { cause?: unknown; hint?: string } = {}) {
    super(SOURCE_ERRORS.FETCH_FAILED, message, options);
  }
}

/** A feed that is not a feed of its kind. */
export class SourceFeedError extends FormatError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: SOURCE_ERRORS.BAD_FEED });
  }
}
