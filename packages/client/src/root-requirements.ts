/**
 * What an app requires of the root it ends up trusting. TUF lets a client update its root
 * only as far as the repository serves the next versions: a CDN that answers 404 for the
 * next root leaves an app that bundles an old root (from before the release and log
 * policies) trusting metadata the same online keys sign, with no builder quorum or log
 * checked (withheld root update). An app that knows which policies its vendor uses says so
 * here, and the client refuses, fail closed, to act under a root without them.
 */
import { policyForProduct } from "@bulwark/attest";
import { type Root, UsageError } from "@bulwark/tuf";
import { CLIENT_ERRORS, ClientError } from "./errors.js";
import { trustedLogPolicy } from "./transparency.js";
import { trustedReleasePolicies } from "./verified-builds.js";

/** The root policies an app requires; the agent's configuration uses the same shape. */
export interface RequiredPolicies {
  /** A release policy (verified builds) that governs this product. */
  readonly releasePolicy?: boolean;
  /** A transparency-log policy. */
  readonly logPolicy?: boolean;
}

/** What the trusted root must satisfy after every refresh; nothing when empty. */
export interface RootRequirements {
  readonly requirePolicies?: RequiredPolicies;
  /** The lowest root version the app accepts: the version it was built with, say. */
  readonly minRootVersion?: number;
}

/** The hint of `CLIENT_OUTDATED_ROOT`. */
export const OUTDATED_ROOT_HINT =
  "ship the current root in every app build (the repository's latest root.json as the client's trusted root), and make sure the repository serves every root version (N.root.json); a root that is still missing is being withheld";

/**
 * Checks the requirement options themselves.
 * @throws {UsageError} `CLIENT_USAGE` for a `minRootVersion` that is not an integer >= 1.
 */
export function checkRootRequirementsOption(requirements: RootRequirements): void {
  const min = requirements.minRootVersion;
  if (min !== undefined && (!Number.isSafeInteger(min) || min < 1)) {
    throw new UsageError(`minRootVersion must be an integer >= 1, got ${String(min)}`, { code: "CLIENT_USAGE" });
  }
}

/**
 * Refuses a trusted root that does not satisfy `requirements` for `product`.
 * @throws {ClientError} `CLIENT_OUTDATED_ROOT` naming what is missing, with
 *   {@link OUTDATED_ROOT_HINT}; `CLIENT_BAD_RELEASE_POLICY` or `CLIENT_BAD_LOG_POLICY`
 *   when a required policy is there but cannot be read.
 */
export function checkRootRequirements(root: Root, product: string, requirements: RootRequirements): void {
  checkRootRequirementsOption(requirements);
  const missing: string[] = [];
  const min = requirements.minRootVersion;
  if (min !== undefined && root.version < min) missing.push(`it is version ${root.version}, below ${min}`);
  const required = requirements.requirePolicies ?? {};
  if (required.releasePolicy === true && !hasReleasePolicy(root, product)) {
    missing.push(`it has no release policy (verified builds) for ${JSON.stringify(product)}`);
  }
  if (required.logPolicy === true && trustedLogPolicy(root) === undefined) {
    missing.push("it has no transparency-log policy");
  }
  if (missing.length === 0) return;
  throw new ClientError(
    CLIENT_ERRORS.OUTDATED_ROOT,
    `the trusted root is not one this app accepts: ${missing.join("; ")}. A newer root may be withheld; nothing is offered or installed`,
    { hint: OUTDATED_ROOT_HINT },
  );
}

function hasReleasePolicy(root: Root, product: string): boolean {
  const policies = trustedReleasePolicies(root);
  return policies !== undefined && policyForProduct(policies, product) !== undefined;
}
