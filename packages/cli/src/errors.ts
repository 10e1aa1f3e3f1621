import { ConfigError, PUBLISHER_ERRORS, PUBLISHER_USAGE_CODES, PublisherError } from "@bulwark/publisher";
import { BulwarkError, UsageError } from "@bulwark/tuf";
import { EXIT } from "./exit-codes.js";

/** An error the CLI reports as it is, with an exit code and a hint at what to do next. */
export class CliError extends BulwarkError {
  constructor(
    code: string,
    message: string,
    readonly exitCode: number = EXIT.FAILURE,
    hint?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, { cause: options?.cause, hint });
  }
}

/** The command line itself is wrong. */
export function usage(message: string, hint?: string): CliError {
  return new CliError("CLI_USAGE", message, EXIT.USAGE, hint);
}

/**
 * The reason a command is aborted with on SIGINT or SIGTERM. A library stops at its next
 * safe point and throws an `INTERRUPTED` error with this as its cause; its exit code is the
 * shell's for the signal (128 + its number).
 */
export function interrupted(signal: "SIGINT" | "SIGTERM"): CliError {
  return new CliError("INTERRUPTED", `interrupted by ${signal}`, signal === "SIGINT" ? EXIT.SIGINT : EXIT.SIGTERM);
}

/** The one translation from errors to exit codes (STYLE 4). */
export function exitCodeFor(error: unknown): number {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof BulwarkError) {
    if (error.code === PUBLISHER_ERRORS.INTERRUPTED) {
      return error.cause instanceof CliError ? error.cause.exitCode : EXIT.SIGINT;
    }
    if (error.code === "ROOT_SIGNATURES_NEEDED" || error.code === "SIGNERS_MISSING") return EXIT.NEEDS_SIGNATURES;
    if (error.code === PUBLISHER_ERRORS.LOCKED) return EXIT.LOCKED;
    if (error.code === PUBLISHER_ERRORS.RELEASE_GATE_REFUSED) return EXIT.SCAN_BLOCK;
    if (error.code === "TLOG_SPLIT_VIEW") return EXIT.LOG_KEY_INCIDENT;
    if (error instanceof UsageError || error instanceof ConfigError) return EXIT.USAGE;
    if (error instanceof PublisherError && PUBLISHER_USAGE_CODES.has(error.code)) return EXIT.USAGE;
    return EXIT.FAILURE;
  }
  return EXIT.FAILURE;
}

/** What to do next, for errors that have an obvious next step. */
export function hintFor(error: unknown): string | undefined {
  if (!(error instanceof BulwarkError)) return undefined;
  if (error.hint !== undefined) return error.hint;
  switch (error.code) {
    case "ROOT_SIGNATURES_NEEDED":
      return "export the new root with `bulwark repo export DIR root.json`, sign it where the root keys are with `bulwark sign root.json --key KEYFILE`, then `bulwark repo import DIR root.json` and publish again";
    case "SIGNERS_MISSING":
      return "make the role's keys available (bulwark.json `keys`), or lower its threshold with `bulwark role threshold`";
    case "KEY_UNREADABLE":
      return "check the passphrase (BULWARK_PASSPHRASE or BULWARK_PASSPHRASE_<ROLE>) and the key file";
    case "TUF_EXPIRED_METADATA":
      return "re-sign the expired role (`bulwark repo refresh`, or publish a new root for an expired root)";
    case "ATTEST_NO_QUORUM":
      return "each builder must rebuild the same source and get the same bytes: compare their sha256 (docs/verified-builds.md); a disagreeing builder may be compromised";
    case "ATTEST_BAD_POLICY":
      return "fix the policy with `bulwark policy set` (a new root version, signed by the root keys)";
    case "LOCKED":
      return "wait for the other process, or remove the lock file if no bulwark process is running";
    default:
      return undefined;
  }
}
