/**
 * The last good published state, found the way a client would verify it: the root chain
 * from the first root, then from the snapshot the timestamp names (or, when that fails, the
 * newest snapshot on disk) downwards, the first snapshot signed by the root's snapshot keys
 * whose every targets role is on disk with the length and hashes it lists (top-level
 * targets also signed by the root's targets keys). Used by `bulwark repo repair`.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import {
  Metadata,
  readFileIfExists,
  type Snapshot,
  type Targets,
  TrustedMetadataSet,
  writeFileAtomic,
} from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";
import { metadataName, problemOf, type RepairBase, versionsOnDisk } from "./published.js";

/** One thing `repo repair` found wrong, and what it did (or, with --dry-run, would do). */
export interface RepairAction {
  /** The file, relative to the repository folder. */
  readonly file: string;
  /** What is wrong with it. */
  readonly problem: string;
  /** What repair does about it. */
  readonly action: string;
}

/** What {@link findLastGood} found. */
export interface LastGood {
  /** Set when the current published state is corrupt: what the next publish builds on. */
  readonly base?: RepairBase;
  /** The version of the last good snapshot. */
  readonly snapshot: number;
  /** The good copies of the roles to re-sign (role to its bytes at its last good version). */
  readonly restage: ReadonlyMap<string, Buffer>;
}

const rel = (name: string) => `public/metadata/${name}`;

/**
 * Verifies the published tree in `metadataDir` and finds its last good state, adding what it
 * found wrong to `actions`. A root version that does not verify is restored from the
 * `root.json` copy of the newest root when that copy is good (unless `dryRun`).
 * @throws {PublisherError} `UNREPAIRABLE` when a root has no good copy or no snapshot is good;
 *   `NOT_PUBLISHED`.
 */
export async function findLastGood(
  metadataDir: string,
  options: { readonly dryRun: boolean; readonly now: number },
  actions: RepairAction[],
): Promise<LastGood> {
  const onDisk = await versionsOnDisk(metadataDir);
  const trusted = await rootChain(metadataDir, onDisk.get("root") ?? [], options.dryRun, actions);
  const consistent = trusted.root.signed.consistentSnapshot === true;
  const read = (name: string) => readFileIfExists(path.join(metadataDir, name));

  const tsBytes = await read("timestamp.json");
  let current: { timestamp: number; snapshot: number } | undefined;
  let tsProblem: string | undefined;
  try {
    if (tsBytes === undefined) throw new Error("it is missing");
    const ts = trusted.updateTimestamp(tsBytes);
    current = { timestamp: ts.signed.version, snapshot: ts.signed.snapshotMeta.version };
  } catch (error) {
    tsProblem = problemOf(error);
  }
  const candidates = consistent
    ? (onDisk.get("snapshot") ?? []).filter((v) => current === undefined || v <= current.snapshot).reverse()
    : [current?.snapshot ?? 0];
  let good: { name: string; md: Metadata<Snapshot> } | undefined;
  for (const version of candidates) {
    const name = consistent ? metadataName(true, "snapshot", version) : "snapshot.json";
    const problem = await snapshotProblem(metadataDir, name, consistent, trusted, (bytes) => {
      if (current !== undefined && version === current.snapshot) {
        trusted.timestamp?.signed.snapshotMeta.verifyLengthAndHashes(bytes, name);
      }
    });
    if (problem instanceof Metadata) {
      good = { name, md: problem };
      break;
    }
    actions.push({ ...problem, action: "not used: the next publish builds on an older, good snapshot" });
  }
  if (good === undefined) {
    const found = actions.map((a) => `${a.file}: ${a.problem}`).join("; ");
    throw new PublisherError(
      PUBLISHER_ERRORS.UNREPAIRABLE,
      `no published snapshot verifies with all the targets roles it lists, so there is no good state to rebuild from (${found || "no snapshot on disk"})`,
      { hint: "restore public/metadata/ from a backup of the repository" },
    );
  }
  if (current !== undefined && good.md.signed.version === current.snapshot) {
    return { restage: new Map(), snapshot: current.snapshot };
  }

  // The next publish must number past every version a client may have seen.
  const unreadable = tsBytes === undefined ? undefined : parsedVersion(tsBytes);
  const timestampVersion = current?.timestamp ?? Math.max(unreadable ?? 0, Math.floor(options.now / 1000));
  if (tsProblem !== undefined) {
    actions.push({
      file: rel("timestamp.json"),
      problem: tsProblem,
      action: `replaced at the next publish by timestamp version ${timestampVersion + 1}${current === undefined && unreadable === undefined ? " (its version is unreadable: numbered from the clock, above any a client holds)" : ""}`,
    });
  }
  const roles: Record<string, number> = {};
  const restage = new Map<string, Buffer>();
  const newer = newerRoles(good.md, onDisk);
  if (newer.length > 0) {
    const models = roleModels(metadataDir, consistent, good.md, trusted);
    for (const { role, listed, versions } of newer) {
      const newest = versions[0] as number;
      roles[role] = newest;
      // The newest version signed by the keys its delegator names loses nothing; else the last good one.
      const kept = await models.newestSigned(role, versions);
      const from = kept?.version ?? listed;
      restage.set(role, kept?.bytes ?? ((await read(metadataName(consistent, role, listed))) as Buffer));
      actions.push({
        file: rel(metadataName(consistent, role, newest)),
        problem: `newer than the last good snapshot (version ${good.md.signed.version}), which lists version ${listed}`,
        action:
          kept === undefined
            ? `${role} is re-signed from version ${listed} as version ${newest + 1}: changes made after it (releases added, rollouts, revocations) must be made again`
            : `${role} is re-signed from version ${from}, the newest its keys signed, as version ${newest + 1}`,
      });
    }
  }
  const snapshotVersion = Math.max(good.md.signed.version, ...(onDisk.get("snapshot") ?? []));
  return {
    base: { snapshot: good.name, timestampVersion, snapshotVersion, roles },
    restage,
    snapshot: good.md.signed.version,
  };
}

/** The roles with versions on disk newer than `snapshot` lists: "targets" first, newest versions first. */
function newerRoles(
  snapshot: Metadata<Snapshot>,
  onDisk: ReadonlyMap<string, number[]>,
): Array<{ role: string; listed: number; versions: number[] }> {
  const out: Array<{ role: string; listed: number; versions: number[] }> = [];
  for (const [file, meta] of snapshot.signed.meta) {
    const role = file.slice(0, -".json".length);
    const versions = (onDisk.get(role) ?? []).filter((v) => v > meta.version).reverse();
    if (versions.length > 0) out.push({ role, listed: meta.version, versions });
  }
  return out.sort((a, b) => Number(b.role === "targets") - Number(a.role === "targets"));
}

/**
 * The targets roles as repair settles them, to find a role's delegator: each at the version
 * the good snapshot lists, or at the newer version {@link newestSigned} accepted.
 */
function roleModels(
  metadataDir: string,
  consistent: boolean,
  snapshot: Metadata<Snapshot>,
  trusted: TrustedMetadataSet,
) {
  const settled = new Map<string, Metadata<Targets>>();
  const load = async (role: string): Promise<Metadata<Targets> | undefined> => {
    const known = settled.get(role);
    if (known !== undefined) return known;
    const version = snapshot.signed.meta.get(`${role}.json`)?.version;
    if (version === undefined) return undefined;
    const bytes = await readFileIfExists(path.join(metadataDir, metadataName(consistent, role, version)));
    const md = bytes === undefined ? undefined : Metadata.fromBytes(bytes, "targets");
    if (md !== undefined) settled.set(role, md);
    return md;
  };
  /** Whether `md` is signed as `role` by the keys of its delegator (root for top-level targets). */
  const signedByDelegator = async (role: string, md: Metadata<Targets>): Promise<boolean> => {
    const delegators: Metadata[] = [];
    if (role === "targets") delegators.push(trusted.root);
    else {
      for (const file of snapshot.signed.meta.keys()) {
        const other = file.slice(0, -".json".length);
        const candidate = other === role ? undefined : await load(other);
        const d = candidate?.signed.delegations;
        if (d !== undefined && (d.roles?.has(role) === true || d.succinctRoles?.isDelegatedRole(role) === true)) {
          delegators.push(candidate as Metadata<Targets>);
        }
      }
    }
    return delegators.some((d) => {
      try {
        d.verifyDelegate(role, md);
        return true;
      } catch {
        return false;
      }
    });
  };
  return {
    /** The newest of `versions` (newest first) that parses and is signed by its delegator's keys. */
    async newestSigned(role: string, versions: readonly number[]) {
      for (const version of versions) {
        const bytes = await readFileIfExists(path.join(metadataDir, metadataName(consistent, role, version)));
        if (bytes === undefined) continue;
        let md: Metadata<Targets>;
        try {
          md = Metadata.fromBytes(bytes, "targets");
        } catch {
          continue;
        }
        if (md.signed.version !== version || !(await signedByDelegator(role, md))) continue;
        settled.set(role, md);
        return { version, bytes };
      }
      return undefined;
    },
  };
}

/** The version field of a timestamp that does not verify but may still parse. */
function parsedVersion(bytes: Buffer): number | undefined {
  try {
    return Metadata.fromBytes(bytes, "timestamp").signed.version;
  } catch {
    return undefined;
  }
}

/**
 * The snapshot `name` verified (signed by the root's snapshot keys, `check` passed, every
 * role it lists good), or the first bad file and its problem.
 */
async function snapshotProblem(
  metadataDir: string,
  name: string,
  consistent: boolean,
  trusted: TrustedMetadataSet,
  check: (bytes: Buffer) => void,
): Promise<Metadata<Snapshot> | { file: string; problem: string }> {
  const bytes = await readFileIfExists(path.join(metadataDir, name));
  if (bytes === undefined) return { file: rel(name), problem: "it is missing" };
  let md: Metadata<Snapshot>;
  try {
    check(bytes);
    md = Metadata.fromBytes(bytes, "snapshot");
    trusted.root.verifyDelegate("snapshot", md);
  } catch (error) {
    return { file: rel(name), problem: problemOf(error) };
  }
  for (const [file, meta] of md.signed.meta) {
    const role = file.slice(0, -".json".length);
    const roleName = metadataName(consistent, role, meta.version);
    const roleBytes = await readFileIfExists(path.join(metadataDir, roleName));
    try {
      if (roleBytes === undefined) throw new Error("it is missing");
      meta.verifyLengthAndHashes(roleBytes, roleName);
      const targets = Metadata.fromBytes(roleBytes, "targets");
      if (role === "targets") trusted.root.verifyDelegate("targets", targets);
    } catch (error) {
      return { file: rel(roleName), problem: problemOf(error) };
    }
  }
  return md;
}

/**
 * Verifies root versions oldest first; a bad newest version is restored from the plain
 * `root.json` copy when that is good, and a bad copy from the newest version.
 * @throws {PublisherError} `NOT_PUBLISHED`, `UNREPAIRABLE`.
 */
async function rootChain(
  metadataDir: string,
  versions: readonly number[],
  dryRun: boolean,
  actions: RepairAction[],
): Promise<TrustedMetadataSet> {
  if (versions.length === 0) {
    throw new PublisherError(PUBLISHER_ERRORS.NOT_PUBLISHED, `${metadataDir} has no published metadata`, {
      hint: "run `bulwark repo init` first",
    });
  }
  const copy = await readFileIfExists(path.join(metadataDir, "root.json"));
  const chain: { trusted?: TrustedMetadataSet } = {};
  const accept = (bytes: Buffer, version: number) => {
    if (chain.trusted !== undefined) return void chain.trusted.updateRoot(bytes);
    const first = new TrustedMetadataSet(bytes, { referenceTime: new Date(0) });
    if (first.root.signed.version !== version) throw new Error(`it holds root version ${first.root.signed.version}`);
    chain.trusted = first;
  };
  let newest: Buffer | undefined;
  for (const version of versions) {
    const name = `${version}.root.json`;
    const bytes = await fs.readFile(path.join(metadataDir, name));
    try {
      accept(bytes, version);
      newest = bytes;
    } catch (error) {
      const problem = problemOf(error);
      if (copy !== undefined && version === versions.at(-1) && !copy.equals(bytes)) {
        try {
          accept(copy, version);
          actions.push({ file: rel(name), problem, action: "restored from its copy, public/metadata/root.json" });
          if (!dryRun) await writeFileAtomic(path.join(metadataDir, name), copy);
          newest = copy;
          continue;
        } catch {
          // no good copy either
        }
      }
      throw new PublisherError(
        PUBLISHER_ERRORS.UNREPAIRABLE,
        `${rel(name)} is corrupt (${problem}) and has no good copy here; root metadata is signed by the root keys`,
        { hint: "restore the file from a backup of the repository, or from a client that trusts that root version" },
      );
    }
  }
  if (copy !== undefined && newest !== undefined && !copy.equals(newest)) {
    actions.push({
      file: rel("root.json"),
      problem: "it differs from the newest root version",
      action: `restored from ${versions.at(-1)}.root.json`,
    });
    if (!dryRun) await writeFileAtomic(path.join(metadataDir, "root.json"), newest);
  }
  if (chain.trusted === undefined) throw new Error("unreachable: at least one root version was accepted");
  return chain.trusted;
}
