/**
 * Rebuilding a `bulwark.json` that is not JSON at all (truncated, overwritten) for
 * `bulwark repo repair`: which key signs which role comes from the newest verified root
 * (and the delegations of the newest top-level targets that parses), where each private
 * half is from the key files under keys/ (named `<role>-<key ID prefix>.pem` by `repo init`
 * and `key add`). What cannot be recovered is reported, never guessed: expiry and refresh
 * windows go back to the defaults, a key with no file here (offline, an external signer)
 * and the log folder must be added back by hand.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { type Key, Metadata, type SignatureScheme, SUPPORTED_SCHEMES, TOP_LEVEL_ROLE_NAMES } from "@bulwark/tuf";
import { logPolicyIn } from "../transparency-policy.js";
import { DEFAULT_CONFIG, type KeyEntry, type RepoConfig } from "./config.js";
import { metadataName, verifiedRoots, versionsOnDisk } from "./published.js";

/** A rebuilt config and what it could not recover. */
export interface RebuiltConfig {
  readonly config: RepoConfig;
  /** What must be added back by hand, one sentence each. */
  readonly notRecovered: readonly string[];
}

/** Every `.pem` file under `dir`, relative to `root`. */
async function pemFiles(dir: string, root: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".pem"))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** The delegations of the newest top-level targets on disk that parses: key and role names. */
async function delegatedKeys(
  metadataDir: string,
  consistent: boolean,
): Promise<{ keys: Map<string, Key>; roles: Map<string, string[]> }> {
  const versions = (await versionsOnDisk(metadataDir)).get("targets") ?? [];
  const names = consistent ? [...versions].reverse().map((v) => metadataName(true, "targets", v)) : ["targets.json"];
  for (const name of names) {
    try {
      const md = Metadata.fromBytes(await fs.readFile(path.join(metadataDir, name)), "targets");
      const d = md.signed.delegations;
      const roles = new Map<string, string[]>();
      for (const [role, entry] of d?.roles ?? [])
        for (const id of entry.keyids) roles.set(id, [...(roles.get(id) ?? []), role]);
      for (const id of d?.succinctRoles?.keyids ?? [])
        roles.set(id, [...(roles.get(id) ?? []), d?.succinctRoles?.binName(0) ?? "bins"]);
      return { keys: d?.keys ?? new Map(), roles };
    } catch {
      // older version next
    }
  }
  return { keys: new Map(), roles: new Map() };
}

/**
 * Rebuilds bulwark.json of the repository folder `dir`.
 * @throws {PublisherError} `NOT_PUBLISHED`, `CORRUPT_FILE` when no root verifies.
 */
export async function rebuildConfig(dir: string): Promise<RebuiltConfig> {
  const metadataDir = path.join(dir, "public", "metadata");
  const { trusted, consistent } = await verifiedRoots(dir, metadataDir);
  const root = trusted.root.signed;
  const roles = new Map<string, string[]>();
  for (const name of TOP_LEVEL_ROLE_NAMES) {
    for (const id of root.roles.get(name)?.keyids ?? []) roles.set(id, [...(roles.get(id) ?? []), name]);
  }
  const delegated = await delegatedKeys(metadataDir, consistent);
  for (const [id, names] of delegated.roles) roles.set(id, [...(roles.get(id) ?? []), ...names]);
  const files = await pemFiles(path.join(dir, "keys"), dir);
  const keys: KeyEntry[] = [];
  const notRecovered = [
    "expiry, refreshBefore and hashedBinsThreshold are the defaults again: set them back if yours differed",
  ];
  for (const [id, names] of roles) {
    const key = root.keys.get(id) ?? delegated.keys.get(id);
    const file = files.find((f) => path.basename(f).endsWith(`-${id.slice(0, 12)}.pem`));
    if (key === undefined || !Object.hasOwn(SUPPORTED_SCHEMES, key.scheme)) continue;
    if (file === undefined) {
      notRecovered.push(
        `key ${id.slice(0, 12)} (${names.join(", ")}) has no key file under keys/: add its entry back (its "file", an external signer's "command", or "offline": true)`,
      );
      continue;
    }
    keys.push({ id, roles: names, scheme: key.scheme as SignatureScheme, file });
  }
  if (logPolicyIn(trusted.root.signed) !== undefined) {
    notRecovered.push('the root names a transparency log: add "log": { "dir": … } back, naming the log folder');
  }
  return { config: { ...DEFAULT_CONFIG, keys }, notRecovered };
}
