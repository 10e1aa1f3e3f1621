import type { Repository } from "@bulwark/tuf";
import { type Command, str } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import type { KeyEntry } from "../store/config.js";
import { withoutKeyRole } from "../store/keystore.js";
import { RepoDir } from "../store/repo-dir.js";
import { keysOfRole, printNextSteps } from "./key-add.js";

/**
 * The one key ID of `keyids` that starts with `prefix` (case-insensitive).
 * @throws {CliError} `UNKNOWN_KEY` when none does, `AMBIGUOUS_KEY` when several do.
 */
export function resolveKeyId(keyids: readonly string[], prefix: string, role: string): string {
  const wanted = prefix.toLowerCase();
  const matches = [...new Set(keyids)].filter((id) => id.toLowerCase().startsWith(wanted));
  if (prefix !== "" && matches.length === 1) return matches[0] as string;
  if (matches.length === 0 || prefix === "") {
    throw new CliError(
      "UNKNOWN_KEY",
      `${role} has no key ${JSON.stringify(prefix)}; its keys: ${keyids.map((id) => id.slice(0, 12)).join(", ") || "none"}`,
      EXIT.USAGE,
      "`bulwark key list DIR` shows every key",
    );
  }
  throw new CliError(
    "AMBIGUOUS_KEY",
    `${JSON.stringify(prefix)} matches ${matches.length} keys of ${role}: ${matches.map((id) => id.slice(0, 16)).join(", ")}`,
    EXIT.USAGE,
    "give more of the key ID",
  );
}

/**
 * Takes `keyId` off `role` in the repository and returns the key entries without it.
 * @throws {CliError} `BELOW_THRESHOLD` when fewer keys than the threshold would be left.
 */
export function revokeKey(
  repo: Repository,
  entries: readonly KeyEntry[],
  role: string,
  keyId: string,
): { entries: KeyEntry[]; file: string | undefined } {
  const { keyids, threshold } = keysOfRole(repo, role);
  const left = new Set(keyids.filter((id) => id !== keyId)).size;
  if (left < threshold) {
    throw new CliError(
      "BELOW_THRESHOLD",
      `revoking ${keyId.slice(0, 12)} would leave ${role} with ${left} key(s), below its threshold of ${threshold}`,
      EXIT.USAGE,
      `replace the key with \`bulwark key rotate DIR --role ${role} ${keyId.slice(0, 12)}\`, or lower the threshold first with \`bulwark role threshold DIR ${role} ${Math.max(1, left)}\``,
    );
  }
  repo.revokeKey(role, keyId);
  const entry = entries.find((e) => e.id === keyId);
  return { entries: withoutKeyRole(entries, keyId, role), file: entry && "file" in entry ? entry.file : undefined };
}

/** Says what happens to a revoked key's file, which is never deleted here. */
export function keyFileNote(role: string, file: string | undefined, version: number | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (role === "root") {
    return `Keep ${file} until root version ${version ?? "?"} is published: the current root's signatures may need it. Destroy it afterwards.`;
  }
  return `${file} no longer signs ${role}. Destroy it once the change is published, unless it signs other roles.`;
}

const command: Command = {
  name: "key revoke",
  summary: "remove a key from a role (a prefix of the key ID is enough)",
  description: `Removes KEYID from ROLE and stages the change; once published, clients no longer count
the key's signatures for ROLE. A revocation that would leave fewer keys than the role's
threshold is refused: add the replacement first (\`bulwark key rotate\` does both) or lower
the threshold.

Revoking a top-level role's key changes root, which the current root keys must sign. A
revoked root key stays in bulwark.json (with no roles) and its file is kept, because the
rotation that removes it must still carry the current root's threshold of signatures; remove
the entry and destroy the file once the new root is published. Key files are never deleted.

Example:
  bulwark key revoke ./updates --role targets 3f2a9c`,
  positionals: [
    { name: "DIR", description: "the repository folder" },
    { name: "KEYID", description: "the key ID, or an unambiguous prefix of it" },
  ],
  options: [
    { name: "role", type: "string", valueName: "ROLE", description: "the role to take the key off (required)" },
  ],
  async run(a, ctx) {
    const dirArg = a.positionals.DIR as string;
    const role = str(a, "role");
    if (role === undefined) throw usage("--role is required", "e.g. --role targets");
    const repoDir = await RepoDir.open(dirArg, ctx);
    return repoDir.locked(async () => {
      const repo = await repoDir.load();
      const keyId = resolveKeyId(keysOfRole(repo, role).keyids, a.positionals.KEYID as string, role);
      const { entries, file } = revokeKey(repo, repoDir.config.keys, role, keyId);
      // Metadata first: until it is staged, the key must keep its entry.
      const staged = await repoDir.stage(repo);
      await repoDir.saveConfig({ ...repoDir.config, keys: entries });
      const after = keysOfRole(repo, role);
      ctx.out.line(
        `Revoked key ${keyId.slice(0, 16)} from ${role}: ${after.threshold} of ${after.keyids.length} key(s) left.`,
      );
      const note = keyFileNote(role, file, repo.stagedRoot()?.signed.version);
      if (note !== undefined) ctx.out.line(note);
      const root = printNextSteps(ctx, dirArg, repoDir, repo);
      return {
        data: {
          role,
          revoked: keyId,
          keys: after.keyids,
          threshold: after.threshold,
          keyFile: file ?? null,
          staged,
          ...(root === undefined ? {} : { root }),
        },
      };
    });
  },
};

export default command;
