/**
 * Loads a TUF repository's metadata for an audit, the way a client would (spec §5), from a
 * folder or an http(s) URL: root (and every newer root version), timestamp, snapshot,
 * targets and a bounded number of delegated roles. Signatures are checked with a
 * {@link TrustedMetadataSet}; expiry is not (the audit judges it against role norms), so an
 * expired role is still read. Every failure becomes a finding: nothing here installs or
 * trusts anything.
 */
import path from "node:path";
import {
  BulwarkError,
  encodeName,
  Metadata,
  type Root,
  type Snapshot,
  type Targets,
  type Timestamp,
  TrustedMetadataSet,
} from "@bulwark/tuf";
import { FETCH_ERRORS, FeedFetchError } from "../errors.js";
import { type FetchLimits, fetchUrl, readLocal } from "../fetch-feed.js";
import { type Finding, finding } from "../finding.js";

/** Root versions looked for past the first one read. */
export const MAX_ROOT_VERSIONS = 64;
/** Delegated targets roles read (one bin of a set of hashed bins counts as one). */
export const MAX_DELEGATED_ROLES = 16;

/** Where metadata files are read from: a folder or a URL; undefined when a file does not exist. */
export interface MetadataSource {
  readonly label: string;
  read(file: string): Promise<Buffer | undefined>;
}

/** The metadata folder `dir`. */
export function folderSource(dir: string, limits: FetchLimits): MetadataSource {
  return {
    label: dir,
    read: async (file) => {
      try {
        return (await readLocal(path.join(dir, file), limits)).bytes;
      } catch (error) {
        if (error instanceof FeedFetchError && error.code === FETCH_ERRORS.NOT_FOUND) return undefined;
        throw error;
      }
    },
  };
}

/** The metadata served under `base` (ending in `/`). */
export function urlSource(base: string, limits: FetchLimits, signal?: AbortSignal): MetadataSource {
  return {
    label: base,
    read: async (file) => {
      try {
        return (await fetchUrl(new URL(file, base).href, limits, signal)).bytes;
      } catch (error) {
        if (error instanceof FeedFetchError && (error.status === 404 || error.status === 403)) return undefined;
        throw error;
      }
    },
  };
}

/** What could be read of a repository. */
export interface LoadedRepository {
  /** The newest root that verified (or, when none did, the one read). */
  readonly root: Metadata<Root>;
  readonly rootVersions: readonly number[];
  readonly timestamp?: Metadata<Timestamp>;
  readonly snapshot?: Metadata<Snapshot>;
  readonly targets?: Metadata<Targets>;
  /** Delegated roles read, by name, with the role that delegates to each. */
  readonly delegated: ReadonlyMap<string, { readonly metadata: Metadata<Targets>; readonly delegator: string }>;
  /** Delegated roles known but not read (over {@link MAX_DELEGATED_ROLES}, or hashed bins past the first). */
  readonly unread: number;
  /** Problems met while loading: metadata that does not verify or is missing. */
  readonly findings: readonly Finding[];
}

/** The role part of a finding ID: a top-level role's name, else "delegated" (names come from the repository). */
export function roleKind(role: string): string {
  return ["root", "timestamp", "snapshot", "targets"].includes(role) ? role : "delegated";
}

const DOES_NOT_VERIFY_ASK =
  "Why does this metadata not verify? Clients refuse it, so updates stop; it can also mean someone tampered with the server.";

/**
 * Reads the repository. `rootBytes` is the trusted root to start from (`--root`), else the
 * source's `root.json` (or `1.root.json`) is read, trusted on first use. With `rootOnly`,
 * files other than root versions that are missing are not findings (a lone root.json).
 * @throws {FeedFetchError} when the source cannot be read at all.
 * @throws {BulwarkError} `TUF_BAD_METADATA` when no root can be parsed.
 */
export async function loadRepository(
  source: MetadataSource,
  options: { rootBytes?: Buffer; rootOnly?: boolean } = {},
): Promise<LoadedRepository> {
  const findings: Finding[] = [];
  const rootBytes = options.rootBytes ?? (await source.read("root.json")) ?? (await source.read("1.root.json"));
  if (rootBytes === undefined) {
    throw new FeedFetchError(FETCH_ERRORS.NOT_FOUND, `no root.json or 1.root.json under ${source.label}`);
  }
  let root = Metadata.fromBytes(rootBytes, "root");
  const rootVersions = [root.signed.version];
  let set: TrustedMetadataSet;
  try {
    set = new TrustedMetadataSet(rootBytes, { referenceTime: new Date(0) });
  } catch (error) {
    if (!(error instanceof BulwarkError)) throw error;
    findings.push(
      finding(
        "tuf.root.does-not-verify",
        "high",
        "root is not signed by a threshold of its own keys",
        error.message,
        DOES_NOT_VERIFY_ASK,
        "root",
      ),
    );
    return { root, rootVersions, delegated: new Map(), unread: 0, findings };
  }
  // 5.3: every newer root version, each signed by the previous and its own keys.
  for (let v = root.signed.version + 1; v <= root.signed.version + MAX_ROOT_VERSIONS; v++) {
    const bytes = await source.read(`${v}.root.json`);
    if (bytes === undefined) break;
    try {
      root = set.updateRoot(bytes);
      rootVersions.push(v);
    } catch (error) {
      if (!(error instanceof BulwarkError)) throw error;
      findings.push(
        finding(
          "tuf.root.does-not-verify",
          "high",
          `root version ${v} does not verify`,
          error.message,
          DOES_NOT_VERIFY_ASK,
          "root",
        ),
      );
      break;
    }
  }
  const step = async <T>(role: string, file: string, apply: (bytes: Buffer) => T): Promise<T | undefined> => {
    const bytes = await source.read(file);
    if (bytes === undefined) {
      if (!options.rootOnly) {
        findings.push(
          finding(
            `tuf.${roleKind(role)}.missing`,
            "high",
            `${file} is missing`,
            `${source.label} has no ${file}`,
            "Why is this metadata file not published? Clients cannot update without it.",
            role,
          ),
        );
      }
      return undefined;
    }
    try {
      return apply(bytes);
    } catch (error) {
      if (!(error instanceof BulwarkError)) throw error;
      findings.push(
        finding(
          `tuf.${roleKind(role)}.does-not-verify`,
          "high",
          `${role} metadata does not verify`,
          error.message,
          DOES_NOT_VERIFY_ASK,
          role,
        ),
      );
      return undefined;
    }
  };
  const consistent = root.signed.consistentSnapshot === true;
  const timestamp = await step("timestamp", "timestamp.json", (b) => set.updateTimestamp(b));
  const base = { root, rootVersions, findings };
  if (timestamp === undefined) return { ...base, delegated: new Map(), unread: 0 };
  const snapVersion = timestamp.signed.snapshotMeta.version;
  const snapshot = await step("snapshot", `${consistent ? `${snapVersion}.` : ""}snapshot.json`, (b) =>
    set.updateSnapshot(b),
  );
  if (snapshot === undefined) return { ...base, timestamp, delegated: new Map(), unread: 0 };
  const fileOf = (role: string) => {
    const version = snapshot.signed.meta.get(`${role}.json`)?.version;
    return `${consistent && version !== undefined ? `${version}.` : ""}${encodeName(role)}.json`;
  };
  const targets = await step("targets", fileOf("targets"), (b) => set.updateDelegatedTargets(b, "targets", "root"));
  if (targets === undefined) return { ...base, timestamp, snapshot, delegated: new Map(), unread: 0 };
  // 5.6: the delegation graph, breadth first, each role once, bounded.
  const delegated = new Map<string, { metadata: Metadata<Targets>; delegator: string }>();
  const queue: Array<{ role: string; delegator: string }> = [];
  let unread = 0;
  const enqueue = (md: Metadata<Targets>, name: string) => {
    const d = md.signed.delegations;
    for (const r of d?.roles?.values() ?? []) queue.push({ role: r.name, delegator: name });
    const bins = d?.succinctRoles;
    if (bins !== undefined) {
      queue.push({ role: bins.binName(0), delegator: name });
      unread += bins.numberOfBins - 1;
    }
  };
  enqueue(targets, "targets");
  const seen = new Set<string>(["targets"]);
  while (queue.length > 0) {
    const { role, delegator } = queue.shift() as { role: string; delegator: string };
    if (seen.has(role)) continue;
    seen.add(role);
    if (delegated.size >= MAX_DELEGATED_ROLES) {
      unread++;
      continue;
    }
    const md = await step(role, fileOf(role), (b) => set.updateDelegatedTargets(b, role, delegator));
    if (md === undefined) continue;
    delegated.set(role, { metadata: md, delegator });
    enqueue(md, role);
  }
  return { ...base, timestamp, snapshot, targets, delegated, unread };
}
