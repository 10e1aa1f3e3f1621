/**
 * The API's errors: every refusal is a status and a stable code, sent as
 * `{ "error": { "code", "message" } }`. Anything else thrown by a handler is a 500 whose
 * message says nothing about the gateway's insides.
 */
import { BulwarkError } from "@bulwark/tuf";

/** The stable codes the API answers with. */
export const API_ERRORS = {
  BAD_JSON: "BAD_JSON",
  BAD_REQUEST: "BAD_REQUEST",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  BODY_TOO_LARGE: "BODY_TOO_LARGE",
  UNAUTHENTICATED: "UNAUTHENTICATED",
  FORBIDDEN: "FORBIDDEN",
  NOT_FOUND: "NOT_FOUND",
  METHOD_NOT_ALLOWED: "METHOD_NOT_ALLOWED",
  CONFLICT: "CONFLICT",
  RATE_LIMITED: "RATE_LIMITED",
  INTERNAL: "INTERNAL",
} as const;

/** One of {@link API_ERRORS}, or a library's code passed through (`SOURCE_BAD_CONFIG`). */
export type ApiErrorCode = (typeof API_ERRORS)[keyof typeof API_ERRORS] | (string & {});

/** A refusal with its HTTP status; thrown by handlers, answered by the server's one error handler. */
export class ApiError extends BulwarkError {
  constructor(
    readonly status: number,
    code: ApiErrorCode,
    message: string,
    options?: { cause?: unknown; hint?: string; headers?: Readonly<Record<string, string>> },
  ) {
    super(code, message, options);
    this.headers = options?.headers ?? {};
  }

  /** Extra response headers (`Retry-After`, `WWW-Authenticate`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** The body of an error response. */
export interface ApiErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly hint?: string };
}
