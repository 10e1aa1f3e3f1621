/**
 * Verified builds at install time. The root metadata (offline, threshold-signed keys)
 * carries the release policy: per product, the independent builders' keys and how many
 * of them (k) must attest a release. Each release file's signed target entry lists its
 * attestation bundles (themselves targets, so TUF verifies their bytes) and the source
 * digest it was built from. The client counts the builders itself, whatever the
 * publisher checked: a stolen targets key can list any file, but cannot make k builders
 * attest it, nor change the policy in root.
 */
import { readFile } from "node:fs/promises";
import {
  AttestError,
  checkSourceDigest,
  describeQuorum,
  policyForProduct,
  QuorumError,
  type QuorumResult,
  type ReleasePolicies,
  type ReleasePolicy,
  releasePoliciesOf,
  type SourceDigest,
  splitAttestationBundle,
  verifyQuorum,
} from "@bulwark/attest";
import type { Root, Updater } from "@bulwark/tuf";
import { downloadedPath, downloadVerified } from "./download.js";
import { CLIENT_ERRORS, ClientError } from "./errors.js";
import type { Release } from "./release.js";

/** Resource limits on the attestations of one release file, enforced before download. */
export interface AttestationLimits {
  /** Largest attestation bundle, checked against its signed length before it is fetched. */
  readonly maxBundleBytes: number;
  /** Most bundles one release file may list. */
  readonly maxBundles: number;
  /** Most envelopes across one release file's bundles. */
  readonly maxAttestations: number;
}

/**
 * The default {@link AttestationLimits}: 4 MiB per bundle (an attestation is a few KiB;
 * each envelope is also held to `ENVELOPE_LIMITS` of @bulwark/attest), 8 bundles, 64
 * envelopes.
 */
export const ATTESTATION_LIMITS: AttestationLimits = Object.freeze({
  maxBundleBytes: 4 * 1024 * 1024,
  maxBundles: 8,
  maxAttestations: 64,
});

/** Parses `sha1:<40 hex>` or `sha256:<64 hex>`; undefined for anything else. */
export function parseSourceDigest(text: string): SourceDigest | undefined {
  const match = /^(sha1|sha256):([0-9a-fA-F]+)$/.exec(text);
  if (match === null) return undefined;
  try {
    return checkSourceDigest({ alg: match[1] as SourceDigest["alg"], hex: match[2] as string });
  } catch {
    return undefined;
  }
}

/** `alg:hex`, the form `custom.bulwark.source` and `--source-digest` use. */
export function formatSourceDigest(digest: SourceDigest): string {
  return `${digest.alg}:${digest.hex}`;
}

function refuse(release: Release, why: string, cause?: unknown): ClientError {
  return new ClientError(
    CLIENT_ERRORS.NO_BUILD_QUORUM,
    `${release.name} ${release.version} is refused: ${why}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * The release policies the trusted root carries, or undefined when it has none.
 * @throws {ClientError} `CLIENT_BAD_RELEASE_POLICY` when they cannot be read: nothing installs.
 */
export function trustedReleasePolicies(root: Root): ReleasePolicies | undefined {
  try {
    return releasePoliciesOf(root);
  } catch (cause) {
    if (!(cause instanceof AttestError)) throw cause;
    throw new ClientError(
      CLIENT_ERRORS.BAD_RELEASE_POLICY,
      `the trusted root's release policy cannot be read, so no release can be verified: ${cause.message}`,
      { cause },
    );
  }
}

/** The policies that govern this release: its own product's and the client's (when they differ). */
function governing(updater: Updater, release: Release, product: string): ReleasePolicy[] {
  const policies = trustedReleasePolicies(updater.trustedSet.root.signed);
  if (policies === undefined) return [];
  const found = [policyForProduct(policies, release.name), policyForProduct(policies, product)];
  return [...new Set(found.filter((p): p is ReleasePolicy => p !== undefined))];
}

/** Fetches the release's attestation bundles (each verified by TUF) and splits them into envelopes. */
async function fetchAttestations(
  updater: Updater,
  release: Release,
  dir: string,
  limits: AttestationLimits,
): Promise<Buffer[]> {
  const paths = release.attestations ?? [];
  if (paths.length > limits.maxBundles) {
    throw refuse(release, `it lists ${paths.length} attestation bundles, more than the ${limits.maxBundles} allowed`);
  }
  const envelopes: Buffer[] = [];
  for (const p of new Set(paths)) {
    const info = await updater.getTargetInfo(p);
    if (info === undefined) throw refuse(release, `its attestation bundle ${JSON.stringify(p)} is not a signed target`);
    // Checked against the signed length before a byte is fetched: no endless attestations.
    if (info.length > limits.maxBundleBytes) {
      throw refuse(
        release,
        `its attestation bundle ${JSON.stringify(p)} is ${info.length} bytes, more than the ${limits.maxBundleBytes} allowed`,
      );
    }
    const file =
      (await updater.findCachedTarget(info, downloadedPath(dir, info))) ??
      (await downloadVerified(updater.fetcherInUse, updater.targetUrl(info), info, dir));
    envelopes.push(...splitAttestationBundle(await readFile(file)));
    if (envelopes.length > limits.maxAttestations) {
      throw refuse(release, `it has more than the ${limits.maxAttestations} attestations allowed`);
    }
  }
  return envelopes;
}

/**
 * Checks a release against the builder quorum of the trusted root's release policy,
 * before anything is downloaded or installed. Returns undefined when the root has no
 * policy for this product (nothing to check), else the quorum result (which is met).
 *
 * @param updater refreshed: its trusted root is the one consulted.
 * @param product the product this client updates; its policy applies as well.
 * @param dir where verified attestation bundles are kept.
 * @throws {ClientError} `CLIENT_NO_BUILD_QUORUM` naming the builders that agreed and
 * disagreed, when fewer than k attest this file, under its file name and signed version,
 * from its signed source digest, or its attestations are missing, malformed or over the limits;
 * `CLIENT_BAD_RELEASE_POLICY` when the trusted root's policy does not parse.
 */
export async function verifyReleaseBuilds(
  updater: Updater,
  release: Release,
  product: string,
  dir: string,
  limits: AttestationLimits = ATTESTATION_LIMITS,
): Promise<QuorumResult | undefined> {
  const policies = governing(updater, release, product);
  if (policies.length === 0) return undefined;
  const sha256 = release.target.hashes.get("sha256");
  if (sha256 === undefined) throw refuse(release, "its signed target has no sha256 for builders to attest");
  let source: SourceDigest | undefined;
  if (release.source !== undefined) {
    source = parseSourceDigest(release.source);
    if (source === undefined) throw refuse(release, `its source digest ${JSON.stringify(release.source)} is malformed`);
  }
  if (source === undefined && policies.some((p) => p.require.sourceDigest)) {
    throw refuse(release, "the policy requires a source digest, and the signed release names none");
  }
  const envelopes = await fetchAttestations(updater, release, dir, limits);
  // The release, not only its bytes: the same bytes attested as another file or version
  // do not count (relabelled release).
  const name = release.target.path.slice(release.target.path.lastIndexOf("/") + 1);
  const artifact = { name, sha256, version: release.version };
  let result: QuorumResult | undefined;
  for (const policy of policies) {
    result = verifyQuorum(policy, artifact, source, envelopes);
    if (!result.ok) {
      const message = describeQuorum(artifact, result);
      throw refuse(release, message, new QuorumError(message, result));
    }
  }
  return result;
}
