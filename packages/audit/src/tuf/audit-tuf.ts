/**
 * The audit of a TUF (or Bulwark) repository: keys and thresholds, expiry windows,
 * consistent snapshots, delegations and hashed bins, Bulwark's root policies, and what an
 * attacker who controls the server can do against a client that follows the spec.
 */
import { describeRemaining, isJsonObject, type Metadata, type Targets, TOP_LEVEL_ROLE_NAMES } from "@bulwark/tuf";
import type { AttackVerdict, FeedAudit, Finding } from "../finding.js";
import { finding } from "../finding.js";
import type { RoleKind } from "../finding-ids.js";
import { type BulwarkPolicies, bulwarkPolicies } from "./bulwark-policies.js";
import { type LoadedRepository, roleKind } from "./inspect.js";
import {
  describeRole,
  keyMaterialFindings,
  type RoleKeysInfo,
  roleKeyFindings,
  roleKeys,
  rootKeyFindings,
  targetsKeyOnline,
  targetsKeyOnlineFinding,
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
  for (const r of roles.values()) findings.push(...roleKeyFindings(r, roleKind(r.name), root.keys));
  const rootFindings = rootKeyFindings(root, roles);
  findings.push(...rootFindings);
  const targetsOnline = targetsKeyOnline(roles);
  if (targetsOnline !== undefined) findings.push(targetsKeyOnlineFinding(targetsOnline));
  // A root key or the targets key kept online: whoever reaches the online signing machine holds every key it needs.
  const onlineKey = rootFindings.some((f) => f.id === "tuf.root.key-online")
    ? "a root key also signs an online role"
    : targetsOnline === undefined
      ? undefined
      : `a targets key also signs ${targetsOnline}`;
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
  const signed: Array<[string, RoleKind, Metadata["signed"]]> = [["root", "root", root]];
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
  const policies = bulwarkPolicies(root, targetsSigner, onlineKey === undefined ? "prevented" : "possible");
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
    attacks: attacks(repo, now, { targetsSigner, onlineKey, policies }),
  };
}

/** The earliest expiry among the roles a client checks, and whose it is. */
function earliestExpiry(repo: LoadedRepository): { role: string; at: number } | undefined {
  const roles: Array<[string, Metadata["signed"] | undefined]> = [
    ["timestamp", repo.timestamp?.signed],
    ["snapshot", repo.snapshot?.signed],
    ["targets", repo.targets?.signed],
    ["root", repo.root.signed],
  ];
  let earliest: { role: string; at: number } | undefined;
  for (const [role, s] of roles) {
    if (s !== undefined && (earliest === undefined || s.expiresAt < earliest.at)) earliest = { role, at: s.expiresAt };
  }
  return earliest;
}

function freezeVerdict(repo: LoadedRepository, now: number): AttackVerdict {
  if (repo.timestamp === undefined)
    return { attack: "freeze", verdict: "unknown", detail: "no timestamp metadata could be read" };
  const earliest = earliestExpiry(repo) as { role: string; at: number };
  const left = earliest.at - now;
  if (left < 0) {
    return {
      attack: "freeze",
      verdict: "limited",
      detail: `${earliest.role} has already expired: clients refuse the repository now, so updates have stopped without any attacker; a replay changes nothing`,
    };
  }
  return {
    attack: "freeze",
    verdict: left > 7 * DAY ? "possible" : "limited",
    detail: `replaying the current metadata works until the first of it expires (${earliest.role}, in ${describeRemaining(left)}); then clients notice`,
  };
}

function attacks(
  repo: LoadedRepository,
  now: number,
  context: { targetsSigner: string; onlineKey: string | undefined; policies: BulwarkPolicies },
): AttackVerdict[] {
  const { targetsSigner, onlineKey, policies } = context;
  const quorum = policies.builderQuorum;
  const log = policies.transparencyLog;
  const snapshotLength = repo.timestamp?.signed.snapshotMeta.length;
  const needs = `${targetsSigner}${quorum ? ` and ${quorum}` : ""}`;
  const targeted: AttackVerdict =
    log !== undefined && policies.witnessing === "several"
      ? {
          attack: "targeted-release",
          verdict: "prevented",
          detail: `clients require a transparency-log proof (${log}): a release cannot be hidden from everyone else`,
        }
      : log !== undefined
        ? {
            attack: "targeted-release",
            verdict: "limited",
            detail: `clients require a transparency-log proof (${log}), but ${policies.witnessing === "none" ? "no witness" : "a single witness"} checks the log: with its operator, a release can be shown to chosen victims only`,
          }
        : {
            attack: "targeted-release",
            verdict: onlineKey === undefined ? "limited" : "possible",
            detail:
              onlineKey === undefined
                ? `the server alone cannot make a release; with ${needs} stolen, a release could be shown to chosen victims only, as nothing makes releases public`
                : `${onlineKey}: with the online machine, a release can be signed and shown to chosen victims only, as nothing makes releases public`,
          };
  const build: AttackVerdict = {
    attack: "build-machine",
    verdict: quorum === undefined ? "possible" : "prevented",
    detail:
      quorum === undefined
        ? "a trojan built on the compromised build machine is signed and listed as usual, and installs"
        : `clients need ${quorum} to attest the same digest: the other builders' digests would not match the trojan`,
  };
  if (onlineKey !== undefined) {
    const because = `${onlineKey}, so it is kept online: whoever reaches the machine that re-signs timestamp holds it`;
    return [
      {
        attack: "arbitrary-install",
        verdict: quorum === undefined ? "possible" : "limited",
        detail:
          quorum === undefined
            ? `${because}, and can sign any file as a release`
            : `${because}; a release still needs ${quorum} to attest its digest`,
      },
      { attack: "rollback", verdict: "possible", detail: `${because}, and can sign older files under newer versions` },
      { attack: "freeze", verdict: "possible", detail: `${because}, and can re-sign old metadata with any expiry` },
      { attack: "mix-and-match", verdict: "possible", detail: `${because}, and can sign any combination of files` },
      { attack: "endless-data", verdict: "possible", detail: `${because}, and can sign any length` },
      targeted,
      build,
    ];
  }
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
    freezeVerdict(repo, now),
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
    targeted,
    build,
  ];
}
