/** Stopping a long operation at a safe point when the caller's signal is aborted. */
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";

/** Whether `error` is the `INTERRUPTED` error {@link stopIfAborted} throws. */
export function isInterrupt(error: unknown): error is PublisherError {
  return error instanceof PublisherError && error.code === PUBLISHER_ERRORS.INTERRUPTED;
}

/**
 * The `INTERRUPTED` error for `what` (`"publishing"`), its cause the signal's reason.
 * Callers throw it only where nothing has been changed, and say so.
 */
export function interruptError(what: string, signal: AbortSignal, cause?: unknown): PublisherError {
  return new PublisherError(
    PUBLISHER_ERRORS.INTERRUPTED,
    `${what} was interrupted; nothing was changed: the repository is as it was`,
    { cause: signal.reason ?? cause, hint: HINTS[what] ?? "run the command again to finish it" },
  );
}

const HINTS: Record<string, string> = {
  publishing: "the staged changes are still staged: run `bulwark repo publish` again to publish them",
  "adding the release": "nothing was staged: run `bulwark release add` again",
};

/**
 * Throws `INTERRUPTED` when `signal` is aborted: called at each safe point of an operation.
 * @throws {PublisherError} `INTERRUPTED`.
 */
export function stopIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw interruptError(what, signal);
}
