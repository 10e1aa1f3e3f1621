/**
 * Reading the published tree (public/metadata/) the way a client verifies it, before any
 * command builds on it: the root chain from the first root (each signed by the previous and
 * by itself, versions one apart), the timestamp, the snapshot it names (length, hashes,
 * signature, version), and each targets role the snapshot lists (length, hashes; top-level
 * targets also its signature), read when first used. Expiry is not judged here: a publisher
 * must be able to open an expired repository to re-sign it.
 *
 * A file that does not parse or verify is a `CORRUPT_FILE` error naming it, with the way
 * out: `bulwark repo repair`, which finds the last good published state (see repair.ts) and
 * records it in the working state as the {@link RepairBase} the next publish builds on.
 */
import { promises as fs, readFileSync } from "node:fs";
import path from "node:path";
import {
  encodeName,
  Metadata,
  MetaFile,
  readFileIfExists,
  type Snapshot,
  Timestamp,
  TrustedMetadataSet,
} from "@bulwark/tuf";
import { PUBLISHER_ERRORS, PublisherError } from "../errors.js";

/**
 * Recorded by `bulwark repo repair` when the current published state is corrupt: the last
 * good snapshot, and the versions the next publish must go past (every version found in
 * metadata/, good or not, so no client that saw a newer file refuses the repaired state).
 */
export interface RepairBase {
  /** The good snapshot's file name under metadata/. */
  readonly snapshot: string;
  /** The next timestamp and snapshot are numbered after these. */
  readonly timestampVersion: number;
  readonly snapshotVersion: number;
  /** Roles re-signed from their last good version, numbered after these. */
  readonly roles: Readonly<Record<string, number>>;
}

/** The published state, verified, as `Repository.open` takes it. */
export interface PublishedState {
  readonly roots: readonly Buffer[];
  readonly timestamp: Buffer;
  readonly snapshot: Buffer;
  /** The bytes of a targets role at a version, verified against the snapshot (undefined when missing). */
  readonly loadTargets: (role: string, version: number) => Buffer | undefined;
}

/** The hint of every corrupt-file error of repository `dir`. */
export function repairHint(dir: string): string {
  return `run \`bulwark repo repair ${dir}\`: it rebuilds the working state from the last good published metadata (add --dry-run to see what it would do first)`;
}

/** `CORRUPT_FILE`: `file` (relative to the repository folder `dir`) does not parse or verify. */
export function corruptFile(dir: string, file: string, problem: string, cause?: unknown): PublisherError {
  return new PublisherError(PUBLISHER_ERRORS.CORRUPT_FILE, `${file} is corrupt: ${problem}`, {
    cause,
    hint: repairHint(dir),
  });
}

/** What went wrong, from a parse or verification error. */
export function problemOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}

/** Runs `fn`, turning what it throws into `CORRUPT_FILE` naming `file`. */
function checked<T>(dir: string, file: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw corruptFile(dir, file, problemOf(error), error);
  }
}

/** The published metadata folder's versioned files: role name to versions, newest last. */
export async function versionsOnDisk(metadataDir: string): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (const name of await fs.readdir(metadataDir).catch(() => [] as string[])) {
    const m = /^(\d+)\.(.+)\.json$/.exec(name);
    if (m === null) continue;
    const role = decodeURIComponent(m[2] as string);
    out.set(role, [...(out.get(role) ?? []), Number(m[1])]);
  }
  for (const versions of out.values()) versions.sort((a, b) => a - b);
  return out;
}

/** The file name of `role` at `version` under metadata/ (versionless without consistent snapshots). */
export function metadataName(consistent: boolean, role: string, version: number): string {
  return `${consistent ? `${version}.` : ""}${encodeName(role)}.json`;
}

/**
 * Verifies the root chain in `metadataDir` and returns the trusted set and the root files.
 * @throws {PublisherError} `NOT_PUBLISHED`, `CORRUPT_FILE`.
 */
export async function verifiedRoots(
  dir: string,
  metadataDir: string,
): Promise<{ trusted: TrustedMetadataSet; roots: Buffer[]; consistent: boolean }> {
  const versions = (await versionsOnDisk(metadataDir)).get("root") ?? [];
  if (versions.length === 0) {
    throw new PublisherError(PUBLISHER_ERRORS.NOT_PUBLISHED, `${metadataDir} has no published metadata`, {
      hint: "run `bulwark repo init` first",
    });
  }
  const roots = await Promise.all(versions.map((v) => fs.readFile(path.join(metadataDir, `${v}.root.json`))));
  const rel = (v: number) => `public/metadata/${v}.root.json`;
  const first = versions[0] as number;
  // Expiry is judged by the commands that care (publish, refresh), not when opening.
  const trusted = checked(
    dir,
    rel(first),
    () => new TrustedMetadataSet(roots[0] as Buffer, { referenceTime: new Date(0) }),
  );
  for (let i = 1; i < roots.length; i++) {
    checked(dir, rel(versions[i] as number), () => trusted.updateRoot(roots[i] as Buffer));
  }
  return { trusted, roots, consistent: trusted.root.signed.consistentSnapshot === true };
}

/**
 * A reader of targets roles that checks each against `snapshot`'s meta (length, hashes) and
 * parses it; top-level targets also against the root's keys.
 */
function targetsReader(
  dir: string,
  metadataDir: string,
  consistent: boolean,
  snapshot: Metadata<Snapshot>,
  trusted: TrustedMetadataSet,
): (role: string, version: number) => Buffer | undefined {
  return (role, version) => {
    const name = metadataName(consistent, role, version);
    let bytes: Buffer;
    try {
      bytes = readFileSync(path.join(metadataDir, name));
    } catch {
      return undefined;
    }
    const file = `public/metadata/${name}`;
    checked(dir, file, () => {
      const meta = snapshot.signed.meta.get(`${role}.json`);
      if (meta !== undefined && meta.version === version) meta.verifyLengthAndHashes(bytes, name);
      const md = Metadata.fromBytes(bytes, "targets");
      if (role === "targets") trusted.root.verifyDelegate("targets", md);
    });
    return bytes;
  };
}

/**
 * Reads and verifies the published state. With a {@link RepairBase}, the last good snapshot
 * it names stands in for timestamp.json and the snapshot it lists, numbered so the next
 * publish goes past every version on disk.
 * @throws {PublisherError} `NOT_PUBLISHED`, `BROKEN_REPOSITORY` (a named file is missing),
 *   `CORRUPT_FILE` naming the file.
 */
export async function readPublished(
  dir: string,
  metadataDir: string,
  base: RepairBase | undefined,
): Promise<PublishedState> {
  const { trusted, roots, consistent } = await verifiedRoots(dir, metadataDir);
  if (base !== undefined) return fromBase(dir, metadataDir, trusted, roots, consistent, base);
  const timestamp = await readFileIfExists(path.join(metadataDir, "timestamp.json"));
  if (timestamp === undefined) {
    throw new PublisherError(PUBLISHER_ERRORS.NOT_PUBLISHED, `${metadataDir} has no timestamp.json`, {
      hint: repairHint(dir),
    });
  }
  const ts = checked(dir, "public/metadata/timestamp.json", () => trusted.updateTimestamp(timestamp));
  const snapshotVersion = ts.signed.snapshotMeta.version;
  const snapshotName = metadataName(consistent, "snapshot", snapshotVersion);
  const snapshot = await readFileIfExists(path.join(metadataDir, snapshotName));
  if (snapshot === undefined) {
    throw new PublisherError(
      PUBLISHER_ERRORS.BROKEN_REPOSITORY,
      `timestamp.json names snapshot version ${snapshotVersion}, which is missing`,
      { hint: repairHint(dir) },
    );
  }
  const md = checked(dir, `public/metadata/${snapshotName}`, () => trusted.updateSnapshot(snapshot));
  const loadTargets = targetsReader(dir, metadataDir, consistent, md, trusted);
  // Top-level targets now, so a corrupt one is named by every command, not only by those that
  // read it; kept for Repository.open's first read of it, which would otherwise read, hash
  // and check the largest file of the repository a second time.
  const topVersion = md.signed.meta.get("targets.json")?.version ?? 1;
  let top = loadTargets("targets", topVersion);
  return {
    roots,
    timestamp,
    snapshot,
    loadTargets: (role, version) => {
      if (role !== "targets" || version !== topVersion || top === undefined) return loadTargets(role, version);
      const bytes = top;
      top = undefined;
      return bytes;
    },
  };
}

/** The published state rebuilt on the last good snapshot (see {@link RepairBase}). */
async function fromBase(
  dir: string,
  metadataDir: string,
  trusted: TrustedMetadataSet,
  roots: Buffer[],
  consistent: boolean,
  base: RepairBase,
): Promise<PublishedState> {
  const file = `public/metadata/${base.snapshot}`;
  const bytes = await readFileIfExists(path.join(metadataDir, base.snapshot));
  if (bytes === undefined) throw corruptFile(dir, file, "the last good snapshot `repo repair` found is gone");
  const good = checked(dir, file, () => {
    const md = Metadata.fromBytes(bytes, "snapshot");
    trusted.root.verifyDelegate("snapshot", md);
    return md;
  });
  const loadTargets = targetsReader(dir, metadataDir, consistent, good, trusted);
  // The working base: the good snapshot, numbered past every version on disk. It is never
  // published as it is: the next publish re-signs snapshot and timestamp.
  const snapshot = Metadata.fromBytes(bytes, "snapshot");
  snapshot.signed.version = Math.max(snapshot.signed.version, base.snapshotVersion);
  for (const [role, version] of Object.entries(base.roles)) {
    const meta = snapshot.signed.meta.get(`${role}.json`);
    if (meta !== undefined) snapshot.signed.meta.set(`${role}.json`, new MetaFile(Math.max(meta.version, version)));
  }
  const timestamp = new Metadata(
    new Timestamp({
      version: base.timestampVersion,
      expiresAt: good.signed.expiresAt,
      snapshotMeta: new MetaFile(snapshot.signed.version),
    }),
  );
  return {
    roots,
    timestamp: timestamp.toBytes(),
    snapshot: snapshot.toBytes(),
    // Roles numbered past their corrupt versions are staged from their good version (repair.ts).
    loadTargets: (role, version) => loadTargets(role, good.signed.meta.get(`${role}.json`)?.version ?? version),
  };
}
