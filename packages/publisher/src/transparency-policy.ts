/**
 * The transparency-log policy in root metadata, on the vendor's side. Its format, reader
 * and writer are @bulwark/tlog's log-policy.ts; here a policy that does not parse is the
 * publisher's typed error, with what to do about it.
 */
import { type LogPolicy, logPolicyOf, TlogError } from "@bulwark/tlog";
import type { Root } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "./errors.js";

/**
 * The log policy a root carries, or undefined.
 * @throws {PublisherError} `BAD_LOG_POLICY` when the field does not parse.
 */
export function logPolicyIn(root: Root): LogPolicy | undefined {
  try {
    return logPolicyOf(root);
  } catch (cause) {
    if (!(cause instanceof TlogError)) throw cause;
    throw new PublisherError(PUBLISHER_ERRORS.BAD_LOG_POLICY, `root version ${root.version}: ${cause.message}`, {
      hint: "set a valid one with `bulwark log policy set` (a new root version, signed by the root keys)",
      cause,
    });
  }
}
