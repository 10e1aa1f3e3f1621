/**
 * The release policy in root metadata (verified builds): read from and written to
 * `root.signed["x-bulwark-release-policy"]`, a field other TUF clients ignore and root's
 * signatures cover. Only a new root version, signed by the root keys' thresholds, can
 * change it, so a stolen targets or online key cannot lower a quorum or swap a builder key.
 */
import { promises as fs } from "node:fs";
import {
  AttestError,
  type BuilderPolicy,
  keyFingerprint,
  policyFromJSON,
  policyToJSON,
  RELEASE_POLICY_FIELD,
  type ReleasePolicies,
  type ReleasePolicy,
} from "@bulwark/attest";
import { releasePoliciesOf } from "@bulwark/client";
import { BulwarkError, canonicalString, type JsonValue, Key, parseJson, type Root } from "@bulwark/tuf";
import { CliError } from "./errors.js";
import { EXIT } from "./exit-codes.js";
import { readPublicKeyFile } from "./store/keystore.js";

/** No policies at all. */
export const NO_POLICIES: ReleasePolicies = { products: new Map(), default: undefined };

/**
 * The policies a root carries (none when it has no policy field).
 * @throws {AttestError} `ATTEST_BAD_POLICY` when the field does not parse.
 */
export function policiesIn(root: Root): ReleasePolicies {
  return releasePoliciesOf(root) ?? NO_POLICIES;
}

/** The policy JSON a root carries, for comparisons and `--json`; undefined when none. */
export function policyJsonIn(root: Root): string | undefined {
  if (!Object.hasOwn(root.unrecognized, RELEASE_POLICY_FIELD)) return undefined;
  return canonicalString(root.unrecognized[RELEASE_POLICY_FIELD] as JsonValue);
}

/** The canonical JSON of `policies` as {@link writePolicies} stores it; undefined when there are none. */
export function policiesJson(policies: ReleasePolicies): string | undefined {
  if (policies.products.size === 0 && policies.default === undefined) return undefined;
  return canonicalString(policyToJSON(policies));
}

/**
 * Writes `policies` into `root` (removing the field when there are none), after checking
 * them as a client will read them.
 * @throws {CliError} `BAD_POLICY` when they would not parse back (shared keys, a threshold
 * above the builders, ...).
 */
export function writePolicies(root: Root, policies: ReleasePolicies): void {
  const { [RELEASE_POLICY_FIELD]: _old, ...rest } = root.unrecognized;
  if (policies.products.size === 0 && policies.default === undefined) {
    root.unrecognized = rest;
    return;
  }
  const json = policyToJSON(policies);
  try {
    policyFromJSON(json);
  } catch (error) {
    if (!(error instanceof AttestError)) throw error;
    throw new CliError("BAD_POLICY", error.message, EXIT.USAGE, undefined, { cause: error });
  }
  root.unrecognized = { ...rest, [RELEASE_POLICY_FIELD]: json };
}

/**
 * Reads a builder's public key: TUF key JSON (as `bulwark attest keygen` writes it), PEM
 * (SubjectPublicKeyInfo) or an ed25519 key as 64 hex digits.
 * @throws {CliError} `BAD_PUBLIC_KEY` when the file holds no usable public key.
 */
export async function readBuilderKey(file: string): Promise<Key> {
  let text: string;
  try {
    text = (await fs.readFile(file, "utf8")).trim();
  } catch (cause) {
    throw new CliError("BAD_PUBLIC_KEY", `cannot read the builder key file ${file}`, EXIT.USAGE, undefined, { cause });
  }
  if (!text.startsWith("{")) return (await readPublicKeyFile(file)).publicKey;
  try {
    const key = Key.fromJSON(parseJson(text), file);
    key.publicKey();
    return key;
  } catch (cause) {
    if (!(cause instanceof BulwarkError)) throw cause;
    throw new CliError("BAD_PUBLIC_KEY", `${file} is not a usable TUF public key: ${cause.message}`, EXIT.USAGE);
  }
}

/**
 * Refuses a builder key that is also one of the repository's own keys: a builder must be
 * independent of the vendor, or one stolen key would both sign and attest.
 * @throws {CliError} `BUILDER_KEY_IS_REPOSITORY_KEY`
 */
export function checkIndependent(root: Root, builders: readonly BuilderPolicy[]): void {
  const repositoryKeys = new Map<string, string>();
  for (const [keyId, key] of root.keys) {
    const fingerprint = keyFingerprint(key);
    if (fingerprint !== undefined) repositoryKeys.set(fingerprint, keyId);
  }
  for (const builder of builders) {
    for (const [keyId, key] of builder.keys) {
      const fingerprint = keyFingerprint(key);
      const shared = fingerprint === undefined ? undefined : repositoryKeys.get(fingerprint);
      if (shared === undefined) continue;
      const roles = [...root.roles].filter(([, r]) => r.keyids.includes(shared)).map(([name]) => name);
      throw new CliError(
        "BUILDER_KEY_IS_REPOSITORY_KEY",
        `builder ${builder.id}'s key ${keyId.slice(0, 12)} is also a repository key (${roles.join(", ") || "unused"})`,
        EXIT.USAGE,
        "give each builder its own key: `bulwark attest keygen --out builder.pem`",
      );
    }
  }
}

/** Table rows describing policies: scope, threshold, builder, key IDs. */
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
