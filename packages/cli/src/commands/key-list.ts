import { privateHalf, RepoDir } from "@bulwark/publisher";
import { type Key, type Repository, TOP_LEVEL_ROLE_NAMES, UsageError } from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { publisherOptions } from "../publisher-options.js";

interface RoleRow {
  readonly role: string;
  readonly threshold: number;
  readonly keyids: readonly string[];
  readonly delegator: string;
  readonly paths?: readonly string[];
}

/**
 * Every role with its keys: the top-level roles from the (staged) root, then the delegated
 * roles reachable from targets. Hashed bins appear as one row, `<prefix>-*`, and are not read.
 */
function collectRoles(repo: Repository): { roles: RoleRow[]; keys: Map<string, Key> } {
  const root = repo.root.signed;
  const keys = new Map(root.keys);
  const roles: RoleRow[] = TOP_LEVEL_ROLE_NAMES.map((name) => ({
    role: name,
    threshold: root.role(name).threshold,
    keyids: root.role(name).keyids,
    delegator: "root",
  }));
  const queue = ["targets"];
  const seen = new Set(queue);
  while (queue.length > 0) {
    const name = queue.shift() as string;
    let delegations: ReturnType<Repository["targets"]>["signed"]["delegations"];
    try {
      delegations = repo.targets(name).signed.delegations;
    } catch (error) {
      if (error instanceof UsageError) continue; // delegated, but not published or staged yet
      throw error;
    }
    if (delegations === undefined) continue;
    for (const [id, key] of delegations.keys) if (!keys.has(id)) keys.set(id, key);
    const succinct = delegations.succinctRoles;
    if (succinct !== undefined) {
      roles.push({
        role: `${succinct.namePrefix}-*`,
        threshold: succinct.threshold,
        keyids: succinct.keyids,
        delegator: name,
      });
    }
    for (const entry of delegations.roles?.values() ?? []) {
      roles.push({
        role: entry.name,
        threshold: entry.threshold,
        keyids: entry.keyids,
        delegator: name,
        paths: entry.paths ?? (entry.pathHashPrefixes ?? []).map((p) => `hash:${p}`),
      });
      if (!seen.has(entry.name)) {
        seen.add(entry.name);
        queue.push(entry.name);
      }
    }
  }
  return { roles, keys };
}

export default defineCommand({
  name: "key list",
  summary: "list keys: roles, key type, where the private half is",
  description: `Lists every key the repository's metadata names (staged changes included), the roles it
signs, its scheme and where its private half is: a key file, an external signer command,
offline, or not here. Then every role with its threshold and, for delegated roles, the
delegator and paths. Revoked root keys kept in bulwark.json to sign a staged rotation are
listed as such.

Example:
  bulwark key list ./updates --json`,
  positionals: [{ name: "DIR", description: "the repository folder" }],
  options: [],
  async run({ positionals }, ctx) {
    const repoDir = await RepoDir.open(positionals.DIR, publisherOptions(ctx));
    const repo = await repoDir.load();
    const { roles, keys } = collectRoles(repo);
    const rolesOf = new Map<string, string[]>();
    for (const r of roles) {
      for (const id of new Set(r.keyids)) rolesOf.set(id, [...(rolesOf.get(id) ?? []), r.role]);
    }
    const published = repo.publishedRoot()?.signed;
    const rows = [...rolesOf].map(([id, names]) => ({
      keyId: id,
      roles: names,
      keytype: keys.get(id)?.keytype ?? "?",
      scheme: keys.get(id)?.scheme ?? "?",
      privateKey: privateHalf(repoDir.config.keys, id),
    }));
    // Keys revoked from every role but kept: a staged root rotation may need their signatures.
    for (const entry of repoDir.config.keys) {
      if (entry.roles.length > 0 || rolesOf.has(entry.id)) continue;
      const stillNeeded = published?.role("root").keyids.includes(entry.id) === true && repo.stagedRoot() !== undefined;
      rows.push({
        keyId: entry.id,
        roles: [stillNeeded ? "(revoked: signs the staged root rotation)" : "(revoked: entry no longer needed)"],
        keytype: published?.keys.get(entry.id)?.keytype ?? "?",
        scheme: entry.scheme,
        privateKey: privateHalf(repoDir.config.keys, entry.id),
      });
    }
    const staged = repo.stagedRoot();
    ctx.out.table(
      ["key ID", "roles", "type", "private key"],
      rows.map((r) => [r.keyId.slice(0, 16), r.roles.join(", "), r.scheme, r.privateKey]),
    );
    ctx.out.line();
    ctx.out.table(
      ["role", "threshold", "delegated by", "paths"],
      roles.map((r) => [r.role, `${r.threshold} of ${r.keyids.length}`, r.delegator, (r.paths ?? []).join(" ")]),
    );
    if (staged !== undefined) {
      ctx.out.line();
      ctx.out.line(`Root version ${staged.signed.version} is staged (not published): the table shows it.`);
    }
    return {
      data: {
        keys: rows,
        roles: roles.map((r) => ({ ...r, keyids: [...r.keyids] })),
        stagedRootVersion: staged?.signed.version ?? null,
      },
    };
  },
});
