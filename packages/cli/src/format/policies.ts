/** How the policies in root read on a terminal and in `--json`. */
import type { ReleasePolicies, ReleasePolicy } from "@bulwark/attest";
import type { UnattestedRelease, UnloggedRelease } from "@bulwark/publisher";
import { type LogPolicy, logPolicyToJSON } from "@bulwark/tlog";
import type { JsonValue } from "@bulwark/tuf";

/** Table rows describing release policies: scope, threshold, builder, key IDs. */
export function policyRows(policies: ReleasePolicies): string[][] {
  const rows: string[][] = [];
  const add = (scope: string, policy: ReleasePolicy) => {
    for (const [i, b] of policy.builders.entries()) {
      rows.push([
        i === 0 ? scope : "",
        i === 0 ? `${policy.threshold} of ${policy.builders.length}` : "",
        b.id,
        [...b.keys.keys()].map((id) => id.slice(0, 12)).join(", "),
      ]);
    }
  };
  for (const [name, policy] of policies.products) add(name, policy);
  if (policies.default !== undefined) add("(default)", policies.default);
  return rows;
}

/** Table rows describing a log policy: witness, key, URL. */
export function logPolicyRows(policy: LogPolicy): string[][] {
  return policy.witnesses.map((w) => [w.name, w.verifier.vkey, w.url ?? "-"]);
}

/** A log policy for `--json`. */
export function describeLogPolicy(policy: LogPolicy | undefined): JsonValue {
  return policy === undefined ? null : logPolicyToJSON(policy);
}

/** `app 1.0.0 (app/1.0.0/app-1.0.0.tar.gz), ...`: releases that lack a valid log proof. */
export function describeUnlogged(releases: readonly UnloggedRelease[]): string {
  return releases
    .map((r) => `${r.name} ${r.version} (${r.path}${r.proof === "invalid" ? ": its proof does not verify" : ""})`)
    .join(", ");
}

/** Table rows of releases that lack attestations: release, file, why. */
export function unattestedRows(releases: readonly UnattestedRelease[]): string[][] {
  return releases.map((r) => [`${r.name}@${r.version}`, r.path, r.reason]);
}
