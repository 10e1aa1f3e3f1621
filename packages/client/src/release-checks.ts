/**
 * What a release file must pass, from the trusted root's policies, before a byte of it is
 * downloaded: the builder quorum (verified builds), then the transparency log. Each check
 * is skipped when the root has no policy for it, and tells the caller what it verified.
 */
import type { Updater } from "@bulwark/tuf";
import type { Release } from "./release.js";
import { type LogProofLimits, verifyReleaseLogged } from "./transparency.js";
import { type AttestationLimits, verifyReleaseBuilds } from "./verified-builds.js";

/** What the checks need besides the release. */
export interface ReleaseCheckOptions {
  /** The product this client updates; its release policy applies as well. */
  readonly product: string;
  /** Where verified attestation bundles are kept. */
  readonly dir: string;
  /** Limits on the release's attestations. */
  readonly attestationLimits: AttestationLimits;
  /** Limits on the release's log proof. */
  readonly logProofLimits: LogProofLimits;
  /** Told what passed: `builds-verified`, `release-logged`. */
  readonly emit: (event: string, message: string, details: Record<string, unknown>) => void;
}

/**
 * Runs every check the trusted root configures, in order.
 * @param updater refreshed: its trusted root is the one consulted.
 * @throws {ClientError} `CLIENT_NO_BUILD_QUORUM` or `CLIENT_BAD_RELEASE_POLICY` (verified
 *   builds), `CLIENT_NOT_IN_LOG`, `CLIENT_BAD_LOG_PROOF` or `CLIENT_BAD_LOG_POLICY`
 *   (transparency log); nothing is downloaded then.
 */
export async function checkBeforeDownload(
  updater: Updater,
  release: Release,
  options: ReleaseCheckOptions,
): Promise<void> {
  const builds = await verifyReleaseBuilds(updater, release, options.product, options.dir, options.attestationLimits);
  if (builds !== undefined) {
    options.emit(
      "builds-verified",
      `${release.target.path} is attested by ${builds.agreeing.join(", ")} (${builds.threshold} required)`,
      { builders: builds.agreeing },
    );
  }
  const logged = await verifyReleaseLogged(updater, release, options.logProofLimits);
  if (logged !== undefined) {
    options.emit(
      "release-logged",
      `${release.target.path} is entry ${logged.index} of ${logged.origin} (tree size ${logged.size}), cosigned by ${logged.witnesses.join(", ")} (${logged.threshold} required)`,
      { origin: logged.origin, index: logged.index.toString(), witnesses: logged.witnesses },
    );
  }
}
