/**
 * The publish side of verified builds: reading the attestation files given to
 * `release add`, finding the release policy the next root carries, and refusing a release
 * file unless k builders of that policy attest its bytes from the named source. The
 * attestations that counted are published beside the file as one in-toto bundle target.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  type ArtifactRef,
  AttestError,
  describeQuorum,
  type InvalidAttestation,
  parseEnvelope,
  policyForProduct,
  type QuorumResult,
  type ReleasePolicies,
  type ReleasePolicy,
  releasePoliciesOf,
  requireQuorum,
  type SourceDigest,
  serializeEnvelope,
  splitAttestationBundle,
  verifyQuorum,
} from "@bulwark/attest";
import { ATTESTATION_LIMITS, parseSourceDigest, type Release } from "@bulwark/client";
import type { Repository } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "./errors.js";
import { listedReleases } from "./listed-releases.js";
import type { RepoDir } from "./store/repo-dir.js";

/** One envelope read from an attestation file, normalised to compact JSON. */
export interface AttestationInput {
  /** `FILE` or `FILE line N`, for messages. */
  readonly label: string;
  readonly bytes: Buffer;
}

function relabel(error: unknown, label: string): unknown {
  return error instanceof AttestError
    ? new AttestError(error.code, `${label}: ${error.message}`, { cause: error })
    : error;
}

/** The envelopes of one file: a single JSON envelope, or in-toto JSON Lines (one per line). */
function envelopesOf(file: string, data: Buffer): AttestationInput[] {
  let whole: unknown;
  try {
    whole = JSON.parse(data.toString("utf8"));
  } catch {
    whole = undefined;
  }
  const single = typeof whole === "object" && whole !== null && !Array.isArray(whole);
  const parts = single ? [data] : splitAttestationBundle(data);
  if (parts.length === 0) throw new AttestError("ATTEST_BAD_ENVELOPE", `${file}: holds no attestation`);
  return parts.map((part, i) => {
    const label = parts.length === 1 ? file : `${file} line ${i + 1}`;
    try {
      // Strict at publish: a malformed or oversized envelope is an error, not noise.
      return { label, bytes: serializeEnvelope(parseEnvelope(part)) };
    } catch (error) {
      throw relabel(error, label);
    }
  });
}

/**
 * Reads `--attestation` files: each a DSSE envelope, or a JSON Lines bundle of them.
 * @throws {AttestError} `ATTEST_TOO_LARGE` for a file over the bundle limit or an
 * envelope over the envelope limit, `ATTEST_BAD_ENVELOPE` for anything malformed; the
 * message names the file (and line).
 * @throws {PublisherError} `NO_SUCH_ATTESTATION` when a file cannot be read.
 */
export async function readAttestationFiles(files: readonly string[], cwd: string): Promise<AttestationInput[]> {
  const out: AttestationInput[] = [];
  for (const name of files) {
    const file = path.resolve(cwd, name);
    const stat = await fs.stat(file).catch(() => undefined);
    if (stat === undefined || !stat.isFile()) {
      throw new PublisherError(PUBLISHER_ERRORS.NO_SUCH_ATTESTATION, `--attestation ${name} is not a readable file`);
    }
    if (stat.size > ATTESTATION_LIMITS.maxBundleBytes) {
      throw new AttestError(
        "ATTEST_TOO_LARGE",
        `${name}: ${stat.size} bytes, more than the ${ATTESTATION_LIMITS.maxBundleBytes} an attestation bundle may have`,
      );
    }
    out.push(...envelopesOf(name, await fs.readFile(file)));
  }
  if (out.length > ATTESTATION_LIMITS.maxAttestations) {
    throw new AttestError(
      "ATTEST_TOO_LARGE",
      `${out.length} attestations, more than the ${ATTESTATION_LIMITS.maxAttestations} a release file may carry`,
    );
  }
  return out;
}

/**
 * The release policy for `product` in the root the next publish will sign (the staged
 * root when root changed, else the published one), or undefined when it has none.
 * @throws {AttestError} `ATTEST_BAD_POLICY` when the root's policy does not parse.
 */
export function policyForRelease(repo: Repository, product: string): ReleasePolicy | undefined {
  const policies = releasePoliciesOf(repo.root.signed);
  return policies === undefined ? undefined : (policies.products.get(product) ?? policies.default);
}

/** What {@link requireReleaseQuorum} found: the result, and the envelopes that counted. */
export interface ReleaseQuorum {
  readonly result: QuorumResult;
  /** The attestations that count for an agreeing builder: the ones to publish. */
  readonly counted: readonly AttestationInput[];
  /** The attestations given that count for no builder here, with why. */
  readonly unused: ReadonlyArray<{ readonly label: string; readonly reason: string }>;
}

function reasonOf(single: QuorumResult): string {
  const invalid: InvalidAttestation | undefined = single.invalid[0];
  if (invalid !== undefined) return invalid.reason;
  const d = single.disagreeing[0];
  // Checked alone, it is always "attestation 0": say only why.
  return d === undefined ? "it counts for no builder" : `${d.builderId}: ${d.reason.replace(/^attestation 0: /, "")}`;
}

/**
 * Refuses a release file unless k distinct builders of `policy` attest `artifact` built
 * from `source`.
 * @throws {QuorumError} `ATTEST_NO_QUORUM`, naming the builders that agreed and disagreed.
 */
export function requireReleaseQuorum(
  policy: ReleasePolicy,
  artifact: ArtifactRef,
  source: SourceDigest | undefined,
  attestations: readonly AttestationInput[],
): ReleaseQuorum {
  const result = requireQuorum(
    policy,
    artifact,
    source,
    attestations.map((a) => a.bytes),
  );
  const counted: AttestationInput[] = [];
  const unused: Array<{ label: string; reason: string }> = [];
  for (const a of attestations) {
    const single = verifyQuorum(policy, artifact, source, [a.bytes]);
    if (single.agreeing.length > 0) counted.push(a);
    else unused.push({ label: a.label, reason: reasonOf(single) });
  }
  return { result, counted, unused };
}

/** A listed release that a release policy's builders do not attest, and why. */
export interface UnattestedRelease {
  readonly name: string;
  readonly version: string;
  /** Its target path. */
  readonly path: string;
  readonly reason: string;
}

/**
 * The listed releases (published or staged) of the products `changed` names whose
 * attestations do not satisfy the policy `policies` now sets for them, checked as a client
 * checks them: k builders attesting the file's sha256, under its file name and signed
 * version, from its signed source digest. Clients that trust a root with these policies
 * refuse each of them.
 * @param changed whether the policy governing a product changed (only those are checked).
 * @throws {PublisherError} `TARGET_MISSING` when a listed bundle's file is missing.
 */
export async function unattestedReleases(
  repoDir: RepoDir,
  repo: Repository,
  policies: ReleasePolicies,
  changed: (product: string) => boolean,
): Promise<UnattestedRelease[]> {
  const out: UnattestedRelease[] = [];
  for (const { release, target } of await listedReleases(repoDir, repo)) {
    const policy = policyForProduct(policies, release.name);
    if (policy === undefined || !changed(release.name)) continue;
    const reason = await unattestedReason(repoDir, repo, policy, release);
    if (reason !== undefined) out.push({ name: release.name, version: release.version, path: target.path, reason });
  }
  return out;
}

/** Why `release` does not satisfy `policy`, or undefined when it does. */
async function unattestedReason(
  repoDir: RepoDir,
  repo: Repository,
  policy: ReleasePolicy,
  release: Release,
): Promise<string | undefined> {
  const sha256 = release.target.hashes.get("sha256");
  if (sha256 === undefined) return "its signed target has no sha256";
  const bundles = release.attestations ?? [];
  if (bundles.length === 0) return "it has no attestations";
  const source = release.source === undefined ? undefined : parseSourceDigest(release.source);
  if (release.source !== undefined && source === undefined) return `its source digest ${release.source} is malformed`;
  if (source === undefined && policy.require.sourceDigest) return "it names no source digest (`--source-digest`)";
  if (bundles.length > ATTESTATION_LIMITS.maxBundles)
    return `it lists more than ${ATTESTATION_LIMITS.maxBundles} bundles`;
  const envelopes: Buffer[] = [];
  for (const p of bundles) {
    const bundle = repo.targets(repo.roleForTarget(p)).signed.targets.get(p);
    if (bundle === undefined) return `its attestation bundle ${p} is not a signed target`;
    if (bundle.length > ATTESTATION_LIMITS.maxBundleBytes) return `its attestation bundle ${p} is too large`;
    try {
      envelopes.push(...splitAttestationBundle(await repoDir.readTarget(bundle)));
    } catch (error) {
      if (!(error instanceof AttestError)) throw error;
      return `its attestation bundle ${p} does not parse: ${error.message}`;
    }
  }
  const name = release.target.path.slice(release.target.path.lastIndexOf("/") + 1);
  const artifact = { name, sha256, version: release.version };
  const result = verifyQuorum(policy, artifact, source, envelopes);
  return result.ok ? undefined : describeQuorum(artifact, result);
}
