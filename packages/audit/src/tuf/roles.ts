/**
 * Expiry windows and delegations of a TUF repository.
 *
 * Expiry rule: what is judged is a role's *remaining validity at audit time* (expires −
 * now), against the role norms in {@link EXPIRY_NORMS}. The remaining validity is a lower
 * bound of the validity period the vendor chose (the issue time is not in the metadata),
 * so a finding is certain; a long period audited near its end can be missed, and a second
 * audit later (or `--compare`) shows it. The norms are how long an attacker who controls
 * the server can replay a role (freeze attack): hours to days for timestamp, days to
 * weeks for snapshot, months for targets, a year or two for root.
 */
import type { DelegatedRole, Key, Metadata, Signed, SuccinctRoles, Targets } from "@bulwark/tuf";
import { describeRemaining } from "@bulwark/tuf";
import { type Finding, finding, type Severity } from "../finding.js";
import type { RoleKind } from "../finding-ids.js";
import { type RoleKeysInfo, roleKeyFindings, roleKeys } from "./keys.js";

const DAY = 86_400_000;

/** Per role: remaining validity above which a finding is raised, and its severity. */
export const EXPIRY_NORMS: Readonly<Record<RoleKind, ReadonlyArray<{ overMs: number; severity: Severity }>>> = {
  timestamp: [
    { overMs: 30 * DAY, severity: "high" },
    { overMs: 7 * DAY, severity: "medium" },
  ],
  snapshot: [
    { overMs: 365 * DAY, severity: "high" },
    { overMs: 30 * DAY, severity: "medium" },
  ],
  targets: [
    { overMs: 3 * 365 * DAY, severity: "medium" },
    { overMs: 366 * DAY, severity: "low" },
  ],
  delegated: [
    { overMs: 3 * 365 * DAY, severity: "medium" },
    { overMs: 366 * DAY, severity: "low" },
  ],
  root: [
    { overMs: 5 * 365 * DAY, severity: "medium" },
    { overMs: 2 * 366 * DAY, severity: "low" },
  ],
};

/** Findings about one role's expiry, judged at `now`. */
export function expiryFindings(role: string, kind: RoleKind, signed: Signed, now: number): Finding[] {
  const left = signed.expiresAt - now;
  const evidence = `${role}.json version ${signed.version}: "expires": "${new Date(signed.expiresAt).toISOString().replace(".000Z", "Z")}" (${left < 0 ? "expired" : `${describeRemaining(left)} left`})`;
  if (left < 0) {
    return [
      finding(
        `tuf.${kind}.expired`,
        "medium",
        `${role} has expired: clients refuse the repository until it is re-signed`,
        evidence,
        "Is this repository still maintained? An expired role stops every update (and hides new security releases).",
        role,
      ),
    ];
  }
  const norm = (EXPIRY_NORMS[kind] ?? []).find((n) => left > n.overMs);
  if (norm === undefined) return [];
  const limit = describeRemaining((EXPIRY_NORMS[kind] ?? []).at(-1)?.overMs ?? 0);
  return [
    finding(
      `tuf.${kind}.long-expiry`,
      norm.severity,
      `${role} stays valid for ${describeRemaining(left)}: an attacker who controls the server can replay it (freeze clients) that long`,
      evidence,
      `Why is ${role} valid for so long? Re-signing it at least every ${limit} bounds a freeze attack.`,
      role,
    ),
  ];
}

/** What the delegations of the repository look like, for facts and findings. */
export interface DelegationSummary {
  readonly roles: number;
  readonly terminating: number;
  readonly bins: string | undefined;
  readonly findings: readonly Finding[];
}

const EVERYTHING = new Set(["*", "**", "*/*", "/*"]);

/** Findings about the delegations in `roles` (targets and the delegated roles read). */
export function delegationFindings(
  roles: ReadonlyArray<{ name: string; metadata: Metadata<Targets> }>,
): DelegationSummary {
  const findings: Finding[] = [];
  let count = 0;
  let terminating = 0;
  let bins: string | undefined;
  const nonTerminating: string[] = [];
  for (const { name, metadata } of roles) {
    const d = metadata.signed.delegations;
    if (d === undefined) continue;
    const keys = d.keys as ReadonlyMap<string, Key>;
    for (const r of d.roles?.values() ?? []) {
      count++;
      if (r.terminating) terminating++;
      else nonTerminating.push(r.name);
      findings.push(...delegatedRoleFindings(name, r, keys));
    }
    const s = d.succinctRoles;
    if (s !== undefined) {
      bins = binsFact(s, keys);
      findings.push(
        ...roleKeyFindings(roleKeys(`${s.namePrefix}-* (hashed bins)`, s.keyids, s.threshold, keys), "delegated", keys),
      );
    }
  }
  if (nonTerminating.length > 0) {
    findings.push(
      finding(
        "tuf.delegation.non-terminating",
        "info",
        `${nonTerminating.length} delegation(s) are not terminating: for paths they do not list, clients go on to later delegations`,
        `terminating: false on ${nonTerminating.slice(0, 5).join(", ")}${nonTerminating.length > 5 ? ", …" : ""}`,
      ),
    );
  }
  return { roles: count, terminating, bins, findings };
}

function delegatedRoleFindings(delegator: string, r: DelegatedRole, keys: ReadonlyMap<string, Key>): Finding[] {
  const info: RoleKeysInfo = roleKeys(r.name, r.keyids, r.threshold, keys);
  const out = roleKeyFindings(info, "delegated", keys);
  const wide = (r.paths ?? []).filter((p) => EVERYTHING.has(p));
  if (wide.length > 0 && r.threshold <= 1) {
    out.push(
      finding(
        "tuf.delegation.any-path-one-key",
        "medium",
        `${delegator} delegates every path to ${r.name}, which one key can sign`,
        `${delegator}.delegations.roles["${r.name}"]: paths ${JSON.stringify(r.paths)}, threshold ${r.threshold}`,
        `Why may one ${r.name} key sign any file? Narrow its paths or raise its threshold.`,
        r.name,
      ),
    );
  }
  return out;
}

function binsFact(s: SuccinctRoles, keys: ReadonlyMap<string, Key>): string {
  const info = roleKeys("bins", s.keyids, s.threshold, keys);
  return `${s.numberOfBins} hashed bins ${s.namePrefix}-*, ${info.threshold} of ${info.distinct} key(s)`;
}
