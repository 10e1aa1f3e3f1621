/**
 * The Bulwark layers anchored in root metadata: the verified-builds policy
 * (`x-bulwark-release-policy`: k of n independent builders) and the release transparency
 * log policy (`x-bulwark-transparency-log`: log key, witnesses, k). Both are unknown fields
 * to other TUF clients, signed with root, so only the offline root keys can change them.
 *
 * The transparency-log field (`{"origin", "log_vkey", "witnesses": [...], "threshold"}`)
 * is read tolerantly: the audit does not depend on the log package's strict reader, looks
 * only for the witness list, the threshold and the origin, and says "?" when it cannot tell.
 */
import { AttestError, keyFingerprint, RELEASE_POLICY_FIELD, type ReleasePolicy } from "@bulwark/attest";
import { releasePoliciesOf } from "@bulwark/client";
import { isJsonObject, type JsonValue, type Root } from "@bulwark/tuf";
import { noIndependentBuilds } from "../common.js";
import { type Finding, finding, type Verdict } from "../finding.js";

/** The root field of the transparency-log policy. */
export const TRANSPARENCY_LOG_FIELD = "x-bulwark-transparency-log";

/** How many witnesses must cosign the log: none, one, or several. */
export type Witnessing = "none" | "one" | "several";

/** What the Bulwark policies of a root say, for facts, findings and the attack summary. */
export interface BulwarkPolicies {
  /** True when root carries either policy field (the repository is a Bulwark one). */
  readonly present: boolean;
  /**
   * Whether the log's history is checked by others: `none` (no witness must cosign), `one`
   * (one cosignature is enough: that witness can collude with the log), `several`.
   */
  readonly witnessing: Witnessing | undefined;
  /** The smallest builder threshold any product needs, when every product has a policy of k ≥ 2; else undefined. */
  readonly builderQuorum: string | undefined;
  readonly transparencyLog: string | undefined;
  readonly findings: readonly Finding[];
}

/** Reads and judges both policies of `root`. */
export function bulwarkPolicies(
  root: Root,
  targetsSigner: string,
  serverInstall: Verdict = "prevented",
): BulwarkPolicies {
  const findings: Finding[] = [];
  const builderQuorum = releasePolicy(root, targetsSigner, serverInstall, findings);
  const log = transparencyPolicy(root, findings);
  const present =
    Object.hasOwn(root.unrecognized, RELEASE_POLICY_FIELD) || Object.hasOwn(root.unrecognized, TRANSPARENCY_LOG_FIELD);
  return {
    present,
    builderQuorum,
    transparencyLog: log?.describe,
    witnessing: log?.witnessing,
    findings,
  };
}

function releasePolicy(
  root: Root,
  targetsSigner: string,
  serverInstall: Verdict,
  findings: Finding[],
): string | undefined {
  const field = `root.signed["${RELEASE_POLICY_FIELD}"]`;
  let policies: ReturnType<typeof releasePoliciesOf>;
  try {
    policies = releasePoliciesOf(root);
  } catch (error) {
    if (!(error instanceof AttestError)) throw error;
    findings.push(
      finding(
        "bulwark.release-policy.unreadable",
        "medium",
        "the verified-builds policy does not parse: Bulwark clients refuse every release",
        `${field}: ${error.message}`,
        "Is the release policy being changed? As published, no client can install a release.",
      ),
    );
    return undefined;
  }
  if (policies === undefined) {
    findings.push(noIndependentBuilds(`${field} is absent`, targetsSigner, serverInstall));
    return undefined;
  }
  const scopes: Array<[string, ReleasePolicy]> = [...policies.products];
  if (policies.default !== undefined) scopes.push(["(default)", policies.default]);
  const repositoryKeys = new Set<string>();
  for (const key of root.keys.values()) {
    const fp = keyFingerprint(key);
    if (fp !== undefined) repositoryKeys.add(fp);
  }
  let weakest: [string, ReleasePolicy] | undefined;
  for (const [scope, policy] of scopes) {
    if (weakest === undefined || policy.threshold < weakest[1].threshold) weakest = [scope, policy];
    const shared = policy.builders.filter((b) =>
      [...b.keys.values()].some((k) => repositoryKeys.has(keyFingerprint(k) ?? "")),
    );
    if (shared.length > 0) {
      findings.push(
        finding(
          "bulwark.builders.repository-key",
          "high",
          `builder ${shared[0]?.id} of ${scope} signs with a repository key: one stolen key both lists and attests a release`,
          `${field}.products: builder ${shared[0]?.id}`,
          "Why is a repository key also a builder key? Builders must be independent of the vendor's signing keys.",
          scope,
        ),
      );
    }
  }
  if (policies.default === undefined) {
    findings.push(
      finding(
        "bulwark.release-policy.no-default",
        "low",
        "products without a policy of their own install without attestations",
        `${field} has no "default", only products ${[...policies.products.keys()].join(", ")}`,
        "Does every product the vendor ships have a builder policy?",
      ),
    );
  }
  if (weakest === undefined) return undefined;
  const [scope, policy] = weakest;
  const describe = `${policy.threshold} of ${policy.builders.length} builders`;
  if (policy.threshold < 2) {
    findings.push(
      noIndependentBuilds(
        `${field}: ${scope} needs ${describe}`,
        `${targetsSigner} and one builder key`,
        serverInstall,
      ),
    );
    return undefined;
  }
  findings.push(
    finding(
      "bulwark.release-policy",
      "info",
      `clients install a release only when ${describe} attest the same artifact digest`,
      `${field}: ${scopes.map(([s, p]) => `${s} ${p.threshold} of ${p.builders.length}`).join("; ")}`,
    ),
  );
  return `${describe}${scopes.length > 1 ? ` (weakest: ${scope})` : ""}`;
}

const THRESHOLD_NAMES = ["witness_threshold", "threshold", "quorum", "k"];

function transparencyPolicy(root: Root, findings: Finding[]): { describe: string; witnessing: Witnessing } | undefined {
  const field = `root.signed["${TRANSPARENCY_LOG_FIELD}"]`;
  if (!Object.hasOwn(root.unrecognized, TRANSPARENCY_LOG_FIELD)) {
    findings.push(
      finding(
        "release.no-transparency-log",
        "low",
        "releases need not be in a transparency log: a release signed with stolen keys could go to chosen victims only, unseen",
        `${field} is absent`,
        "Is every release recorded in a public, witnessed log, and do clients require a proof of it?",
      ),
    );
    return undefined;
  }
  const value = root.unrecognized[TRANSPARENCY_LOG_FIELD] as JsonValue;
  if (!isJsonObject(value)) {
    findings.push(
      finding(
        "bulwark.transparency-log.unreadable",
        "medium",
        "the transparency-log policy is not an object",
        `${field}: ${JSON.stringify(value).slice(0, 80)}`,
        "What does this policy require? As published it cannot be read.",
      ),
    );
    return undefined;
  }
  const witnessesField = value.witnesses;
  const witnesses = Array.isArray(witnessesField)
    ? witnessesField.length
    : isJsonObject(witnessesField)
      ? Object.keys(witnessesField).length
      : undefined;
  const holder = isJsonObject(witnessesField) && !Array.isArray(witnessesField) ? [value, witnessesField] : [value];
  let threshold: number | undefined;
  for (const obj of holder) {
    for (const name of THRESHOLD_NAMES) {
      const v = obj[name];
      const n = typeof v === "bigint" ? Number(v) : v;
      if (threshold === undefined && typeof n === "number" && Number.isSafeInteger(n)) threshold = n;
    }
  }
  const origin = typeof value.origin === "string" ? ` for log ${value.origin.slice(0, 80)}` : "";
  const describe = `${threshold ?? "?"} of ${witnesses ?? "?"} witnesses${origin}`;
  if (witnesses === 0 || threshold === 0) {
    findings.push(
      finding(
        "bulwark.transparency-log.no-witnesses",
        "medium",
        "releases are logged, but no witness must cosign the log: its operator could show different histories to different clients",
        `${field}: ${describe}`,
        "Which independent witnesses cosign the log, and how many must?",
      ),
    );
    return { describe, witnessing: "none" };
  }
  findings.push(
    finding(
      "bulwark.transparency-log",
      "info",
      `clients require a proof that each release is in a transparency log (${describe})`,
      `${field}: ${describe}`,
    ),
  );
  const singleWitness = witnesses === 1 || threshold === 1;
  if (singleWitness) {
    findings.push(
      finding(
        "bulwark.transparency-log.single-witness",
        "medium",
        witnesses === 1
          ? "a single witness cosigns the log: that one witness and the log operator together can show a victim a history nobody else sees (a split view)"
          : `any one of the ${witnesses ?? "?"} witnesses is enough: that witness and the log operator together can show a victim a history nobody else sees (a split view)`,
        `${field}: ${describe}`,
        "Can clients require at least two independent witnesses (threshold 2 of 3 or more)?",
      ),
    );
  }
  return { describe, witnessing: singleWitness ? "one" : "several" };
}
