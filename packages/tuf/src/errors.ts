/**
 * The one error tree of Bulwark. Every error carries a stable string `code`.
 *
 * Two branches: {@link UsageError} when a caller misused an API, and
 * {@link RepositoryError} / {@link DownloadError} when the repository, mirror or
 * network sent something that must not be trusted. Tests assert the class and the code.
 */
export class BulwarkError extends Error {
  /** A stable, machine-readable code such as `TUF_EXPIRED_METADATA`. */
  readonly code: string;
  /** What to do next, for a person, when there is an obvious next step. */
  readonly hint: string | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; hint?: string | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options?.hint;
    this.name = new.target.name;
  }
}

/** The caller misused an API: a bad argument, a missing configuration, a wrong state. */
export class UsageError extends BulwarkError {
  constructor(message: string, options?: { cause?: unknown; code?: string; hint?: string | undefined }) {
    super(options?.code ?? "USAGE", message, options);
  }
}

/** Bytes that are not well-formed for what was expected: JSON, a field, a key. */
export class FormatError extends BulwarkError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? "TUF_FORMAT", message, options);
  }
}

/** A value cannot be encoded as canonical JSON (floats, lone surrogates). */
export class CanonicalJsonError extends FormatError {
  constructor(message: string) {
    super(message, { code: "CANONICAL_JSON" });
  }
}

/** A key or signature scheme this implementation does not support. */
export class UnsupportedAlgorithmError extends FormatError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: "TUF_UNSUPPORTED_ALGORITHM" });
  }
}

/** The repository served metadata or targets that must not be trusted. */
export class RepositoryError extends BulwarkError {}

/** Metadata that does not parse into a valid model. */
export class MetadataFormatError extends RepositoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TUF_BAD_METADATA", message, options);
  }
}

/** A role's metadata is not signed by a threshold of distinct trusted keys. */
export class UnsignedMetadataError extends RepositoryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TUF_UNSIGNED_METADATA", message, options);
  }
}

/** A version number that goes backwards, or does not match what was expected. */
export class BadVersionNumberError extends RepositoryError {
  constructor(message: string) {
    super("TUF_BAD_VERSION", message);
  }
}

/** A version that is equal to the trusted one where a newer one was required. */
export class EqualVersionNumberError extends BadVersionNumberError {}

/** Metadata whose `expires` has passed: a freeze attack or a stale repository. */
export class ExpiredMetadataError extends RepositoryError {
  constructor(message: string) {
    super("TUF_EXPIRED_METADATA", message);
  }
}

/** Bytes whose length or hashes differ from the signed ones: mix-and-match or tampering. */
export class LengthOrHashMismatchError extends RepositoryError {
  constructor(message: string) {
    super("TUF_LENGTH_OR_HASH_MISMATCH", message);
  }
}

/**
 * Metadata lists hashes for a file, none in an algorithm this client can compute (sha256,
 * sha384, sha512, sha3-256, sha3-512): the file cannot be checked, so it is refused.
 */
export class UnsupportedHashError extends RepositoryError {
  constructor(message: string) {
    super("TUF_UNSUPPORTED_HASH_ALGORITHM", message);
  }
}

/** A role, target or file name that is not allowed (for example one that escapes a directory). */
export class UnsafeNameError extends RepositoryError {
  constructor(message: string) {
    super("TUF_UNSAFE_NAME", message);
  }
}

/** The delegation graph is over its configured bounds. */
export class DelegationLimitError extends RepositoryError {
  constructor(message: string) {
    super("TUF_DELEGATION_LIMIT", message);
  }
}

/** The root rotation chain is longer than the configured bound. */
export class RootRotationLimitError extends RepositoryError {
  constructor(message: string) {
    super("TUF_ROOT_ROTATION_LIMIT", message);
  }
}

/** Anything that went wrong while downloading bytes. */
export class DownloadError extends BulwarkError {}

/** The server sent more bytes than allowed: an endless-data attack. */
export class DownloadLengthMismatchError extends DownloadError {
  constructor(message: string) {
    super("DOWNLOAD_TOO_LARGE", message);
  }
}

/** The server sent bytes too slowly, or not at all: a slow-retrieval attack. */
export class SlowRetrievalError extends DownloadError {
  constructor(message: string) {
    super("DOWNLOAD_SLOW", message);
  }
}

/** The server answered with an HTTP status that is not a success. */
export class DownloadHttpError extends DownloadError {
  readonly status: number;

  constructor(message: string, status: number) {
    super(status === 404 ? "DOWNLOAD_NOT_FOUND" : "DOWNLOAD_HTTP", message);
    this.status = status;
  }
}

/** Why a redirect was not followed. */
export type RedirectRefusal = "other-host" | "insecure" | "scheme" | "too-many" | "invalid";

/** The server redirected, and the fetcher's redirect policy does not allow following it. */
export class DownloadRedirectError extends DownloadError {
  /** The URL that answered with the redirect. */
  readonly from: string;
  /** Where it redirects to, as resolved (or as sent, when it is not a valid URL). */
  readonly to: string;
  readonly reason: RedirectRefusal;

  constructor(message: string, details: { from: string; to: string; reason: RedirectRefusal }) {
    super("DOWNLOAD_REDIRECT_REFUSED", message);
    this.from = details.from;
    this.to = details.to;
    this.reason = details.reason;
  }
}

/** A network-level failure: connection refused, reset, DNS. */
export class NetworkError extends DownloadError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("DOWNLOAD_NETWORK", message, options);
  }
}

/** Local storage failed: a cache or metadata directory could not be read or written. */
export class StorageError extends BulwarkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("STORAGE", message, options);
  }
}

/** True when `error` is a {@link BulwarkError} (any branch). */
export function isBulwarkError(error: unknown): error is BulwarkError {
  return error instanceof BulwarkError;
}
