/**
 * The audit of a TUF (or Bulwark) repository: keys and thresholds, expiry windows,
 * consistent snapshots, delegations and hashed bins, Bulwark's root policies, and what an
 * attacker who controls the server can do against a client that follows the spec.
 */
import { describeRemaining, isJsonObject, type Metadata, type Targets, TOP_LEVEL_ROLE_NAMES } from "@bulwark/tuf";
import type { AttackVerdict, FeedAudit, Finding } from "../finding.js";
import { finding } from "../finding.js";
import { bulwarkPolicies } from "./bulwark-policies.js";
import type { LoadedRepository } from "./inspect.js";
import {
  describeRole,
  keyMaterialFindings,
  type RoleKeysInfo,
  roleKeyFindings,
  roleKeys,
  rootKeyFindings,
} from "./keys.js";
import { delegationFindings, expiryFindings } from "./roles.js";

const DAY = 86_400_000;

/** Audits a loaded repository as of `now`; `bulwarkFolder` when it was read from a Bulwark repository folder. */
export function auditTuf(
  repo: LoadedRepository,
  now: number,
  options: { bulwarkFolder?: boolean; rootOnly?: boolean } = {},
): FeedAudit {
  const root = repo.root.signed;
  const findings: Finding[] = [...repo.findings];
  const roles = new Map<string, RoleKeysInfo>();
  for (const name of TOP_LEVEL_ROLE_NAMES) {
    const r = root.roles.get(name);
    if (r !== undefined) roles.set(name, roleKeys(name, r.keyids, r.threshold, root.keys));
  }
  findings.push(...keyMaterialFindings(root.keys, "root"));
  for (const r of roles.values()) findings.push(...roleKeyFindings(r, r.name, root.keys));
  findings.push(...rootKeyFindings(root, roles));
  const targetsRole = roles.get("targets");
  if (targetsRole !== undefined && targetsRole.threshold <= 1 && targetsRole.distinct >= 1) {
    findings.push(
      finding(
        "tuf.targets.threshold-one",
        "low",
        "one targets key signs the list of releases",
        `root.signed.roles.targets: ${describeRole(targetsRole)}`,
        "Where is the targets key kept, and who can use it? Whoever can, lists any file as a release.",
      ),
    );
  }
  if (root.consistentSnapshot !== true) {
    findings.push(
      finding(
        "tuf.consistent-snapshot.off",
        "low",
        "consistent snapshots are off: clients can read a mix of old and new files while the vendor publishes",
        `root.signed.consistent_snapshot: ${String(root.consistentSnapshot ?? "absent")}`,
        "Why are metadata files not versioned? Updates can fail while a new release is published.",
      ),
    );
  }
  const signed: Array<[string, string, Metadata["signed"]]> = [["root", "root", root]];
  if (repo.timestamp) signed.push(["timestamp", "timestamp", repo.timestamp.signed]);
  if (repo.snapshot) signed.push(["snapshot", "snapshot", repo.snapshot.signed]);
  if (repo.targets) signed.push(["targets", "targets", repo.targets.signed]);
  for (const [name, d] of repo.delegated) signed.push([name, "delegated", d.metadata.signed]);
  for (const [name, kind, s] of signed) findings.push(...expiryFindings(name, kind, s, now));

  const targetsRoles: Array<{ name: string; metadata: Metadata<Targets> }> = [];
  if (repo.targets) targetsRoles.push({ name: "targets", metadata: repo.targets });
  for (const [name, d] of repo.delegated) {
    targetsRoles.push({ name, metadata: d.metadata });
    findings.push(...keyMaterialFindings(d.metadata.signed.delegations?.keys ?? new Map(), name));
  }
  if (repo.targets)
    findings.push(...keyMaterialFindings(repo.targets.signed.delegations?.keys ?? new Map(), "targets"));
  const delegations = delegationFindings(targetsRoles);
  findings.push(...delegations.findings);
  if (repo.unread > 0) {
    findings.push(
      finding(
        "tuf.delegation.not-read",
        "info",
        `${repo.unread} delegated role(s) were not read (bounded audit)`,
        `the first ${repo.delegated.size} delegated roles were read`,
      ),
    );
  }
  if (options.rootOnly) {
    findings.push(
      finding(
        "tuf.root-only",
        "info",
        "only root metadata was audited: no timestamp, snapshot or targets beside it",
        "the input is a root.json without the other metadata files",
        "Where is the repository's metadata/ folder served?",
      ),
    );
  }

  const targetsSigner =
    targetsRole === undefined
      ? "the targets key"
      : `the targets key${targetsRole.threshold > 1 ? `s (${targetsRole.threshold} of them)` : ""}`;
  const policies = bulwarkPolicies(root, targetsSigner);
  findings.push(...policies.findings);
  const bulwarkTargets = [...(repo.targets?.signed.targets.values() ?? [])].some(
    (t) => isJsonObject(t.custom ?? null) && Object.hasOwn(t.custom ?? {}, "bulwark"),
  );
  const type = policies.present || options.bulwarkFolder || bulwarkTargets ? "bulwark" : "tuf";

  const facts: Array<[string, string]> = [
    ["specification", `TUF ${root.specVersion}`],
    [
      "root versions",
      repo.rootVersions.length > 1
        ? `${repo.rootVersions[0]}–${repo.rootVersions.at(-1)}`
        : String(repo.rootVersions[0]),
    ],
    ["consistent snapshots", root.consistentSnapshot === true ? "yes" : "no"],
  ];
  for (const [name, , s] of signed.slice(0, 4)) {
    const r = roles.get(name);
    facts.push([name, `${r ? `${describeRole(r)}, ` : ""}expires in ${describeRemaining(s.expiresAt - now)}`]);
  }
  facts.push([
    "delegations",
    `${delegations.roles} (${delegations.terminating} terminating)${delegations.bins ? `; ${delegations.bins}` : ""}`,
  ]);
  facts.push(["builder quorum", policies.builderQuorum ?? "none"]);
  facts.push(["transparency log", policies.transparencyLog ?? "none"]);
  return {
    type,
    facts,
    findings,
    attacks: attacks(repo, now, targetsSigner, policies.builderQuorum, policies.transparencyLog),
  };
}

function attacks(
  repo: LoadedRepository,
  now: number,
  targetsSigner: string,
  quorum: string | undefined,
  log: string | undefined,
): AttackVerdict[] {
  const ts = repo.timestamp?.signed;
  const freezeFor = ts === undefined ? undefined : ts.expiresAt - now;
  const snapshotLength = ts?.snapshotMeta.length;
  const needs = `${targetsSigner}${quorum ? ` and ${quorum}` : ""}`;
  return [
    {
      attack: "arbitrary-install",
      verdict: "prevented",
      detail: `the server holds no signing key: clients install only files signed by ${needs}`,
    },
    {
      attack: "rollback",
      verdict: "prevented",
      detail: "every role's version is signed; clients refuse metadata older than what they have",
    },
    freezeFor === undefined
      ? { attack: "freeze", verdict: "unknown", detail: "no timestamp metadata could be read" }
      : {
          attack: "freeze",
          verdict: freezeFor > 7 * DAY ? "possible" : "limited",
          detail: `replaying the current timestamp works until it expires, ${freezeFor < 0 ? "which it has" : `in ${describeRemaining(freezeFor)}`}; then clients notice`,
        },
    {
      attack: "mix-and-match",
      verdict: "prevented",
      detail: "snapshot metadata pins the version of every targets role; timestamp pins snapshot",
    },
    {
      attack: "endless-data",
      verdict: snapshotLength === undefined ? "limited" : "prevented",
      detail:
        snapshotLength === undefined
          ? "target lengths are signed; snapshot's length is not in timestamp, so clients rely on their own size limit for it"
          : "every file's length is signed (timestamp and root are bounded by client limits)",
    },
    {
      attack: "targeted-release",
      verdict: log === undefined ? "limited" : "prevented",
      detail:
        log === undefined
          ? `the server alone cannot make a release; with ${needs} stolen, a release could be shown to chosen victims only, as nothing makes releases public`
          : `clients require a transparency-log proof (${log}): a release cannot be hidden from everyone else`,
    },
    {
      attack: "build-machine",
      verdict: quorum === undefined ? "possible" : "prevented",
      detail:
        quorum === undefined
          ? "a trojan built on the compromised build machine is signed and listed as usual, and installs"
          : `clients need ${quorum} to attest the same digest: the other builders' digests would not match the trojan`,
    },
  ];
}
