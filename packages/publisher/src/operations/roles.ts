/**
 * Roles and their keys, as a repository changes them: the keys and threshold of a role,
 * what a staged root change still needs, and where a key's private half is.
 */
import { type Repository, UsageError } from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import type { KeyEntry } from "../store/config.js";
import { withoutKeyRole } from "../store/keystore.js";
import type { RepoDir } from "../store/repo-dir.js";

/**
 * The key IDs and threshold of `role`.
 * @throws {PublisherError} `UNKNOWN_ROLE` when the repository has no such role.
 */
export function keysOfRole(repo: Repository, role: string): { keyids: readonly string[]; threshold: number } {
  try {
    return repo.roleKeys(role);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new PublisherError(PUBLISHER_ERRORS.UNKNOWN_ROLE, `the repository has no role ${JSON.stringify(role)}`, {
      hint: "`bulwark key list DIR` shows the roles and their keys",
      cause: error,
    });
  }
}

/**
 * The one key ID of `keyids` that starts with `prefix` (case-insensitive).
 * @throws {PublisherError} `UNKNOWN_KEY` when none does, `AMBIGUOUS_KEY` when several do.
 */
export function resolveKeyId(keyids: readonly string[], prefix: string, role: string): string {
  const wanted = prefix.toLowerCase();
  const matches = [...new Set(keyids)].filter((id) => id.toLowerCase().startsWith(wanted));
  if (prefix !== "" && matches.length === 1) return matches[0] as string;
  if (matches.length === 0 || prefix === "") {
    throw new PublisherError(
      PUBLISHER_ERRORS.UNKNOWN_KEY,
      `${role} has no key ${JSON.stringify(prefix)}; its keys: ${keyids.map((id) => id.slice(0, 12)).join(", ") || "none"}`,
      { hint: "`bulwark key list DIR` shows every key" },
    );
  }
  throw new PublisherError(
    PUBLISHER_ERRORS.AMBIGUOUS_KEY,
    `${JSON.stringify(prefix)} matches ${matches.length} keys of ${role}: ${matches.map((id) => id.slice(0, 16)).join(", ")}`,
    { hint: "give more of the key ID" },
  );
}

/**
 * Sets a role's threshold after checking it against the role's keys, and marks the role
 * for signing again (timestamp and root are signed again at every publish that changes them).
 * @throws {PublisherError} `BAD_THRESHOLD` when the role has fewer keys.
 */
export function setThreshold(repo: Repository, role: string, threshold: number): void {
  const { keyids } = keysOfRole(repo, role);
  if (threshold > keyids.length) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BAD_THRESHOLD,
      `${role} has ${keyids.length} key(s): a threshold of ${threshold} could never be met`,
      { hint: `add keys first with \`bulwark key add DIR --role ${role}\`` },
    );
  }
  repo.setThreshold(role, threshold);
  // The role's current signatures may no longer meet the threshold: sign it again at publish.
  if (role === "snapshot") repo.resignSnapshot();
  else if (role !== "root" && role !== "timestamp") repo.touch(role);
}

/**
 * Takes `keyId` off `role` in the repository and returns the key entries without it.
 * @throws {PublisherError} `BELOW_THRESHOLD` when fewer keys than the threshold would be left.
 */
export function takeKeyOff(
  repo: Repository,
  entries: readonly KeyEntry[],
  role: string,
  keyId: string,
): { entries: KeyEntry[]; file: string | undefined } {
  const { keyids, threshold } = keysOfRole(repo, role);
  const left = new Set(keyids.filter((id) => id !== keyId)).size;
  if (left < threshold) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BELOW_THRESHOLD,
      `revoking ${keyId.slice(0, 12)} would leave ${role} with ${left} key(s), below its threshold of ${threshold}`,
      {
        hint: `replace the key with \`bulwark key rotate DIR --role ${role} ${keyId.slice(0, 12)}\`, or lower the threshold first with \`bulwark role threshold DIR ${role} ${Math.max(1, left)}\``,
      },
    );
  }
  repo.revokeKey(role, keyId);
  const entry = entries.find((e) => e.id === keyId);
  return { entries: withoutKeyRole(entries, keyId, role), file: entry && "file" in entry ? entry.file : undefined };
}

/** What a staged root change still needs. */
export interface RootStatus {
  readonly version: number;
  /** Root signatures needed from the previous and the new root's keys. */
  readonly thresholds: { readonly previous: number; readonly next: number };
  /** Whether the keys available here (not offline) meet both thresholds. */
  readonly signableHere: boolean;
}

/** The staged root's needs, or undefined when root has not changed. */
export function rootStatus(repoDir: RepoDir, repo: Repository): RootStatus | undefined {
  const next = repo.stagedRoot();
  const published = repo.publishedRoot();
  if (next === undefined || published === undefined) return undefined;
  const previous = published.signed.role("root");
  const here = new Set(repoDir.config.keys.filter((e) => !("offline" in e)).map((e) => e.id));
  // Signatures imported so far count as available.
  for (const id of next.signatures.keys()) here.add(id);
  const role = next.signed.role("root");
  const meets = (r: { keyids: readonly string[]; threshold: number }) =>
    new Set(r.keyids.filter((id) => here.has(id))).size >= r.threshold;
  return {
    version: next.signed.version,
    thresholds: { previous: previous.threshold, next: role.threshold },
    signableHere: meets(previous) && meets(role),
  };
}

/** Where a key's private half is, for people: a file, a command, offline, or not here. */
export function privateHalf(entries: readonly KeyEntry[], keyId: string): string {
  const entry = entries.find((e) => e.id === keyId);
  if (entry === undefined) return "not here";
  if ("file" in entry) return entry.file;
  if ("command" in entry) return `command: ${entry.command.split(/\s+/)[0] ?? ""}`;
  return "offline";
}
