/**
 * A TUF repository as the audit sees it: the one repository inspector of @bulwark/tuf
 * walks it the way a client would (spec §5), from a trusted root or the served one
 * (trusted on first use), reading a bounded number of delegated roles; every problem it
 * collects becomes a finding here. Expiry is not a problem for the audit (it judges
 * expiry against role norms, see roles.ts), and a source that cannot be read at all is an
 * error, not a finding.
 */
import {
  type BulwarkError,
  DownloadError,
  DownloadHttpError,
  type InspectionProblem,
  inspectRepository,
  type RepositoryInspection,
  type RepositorySource,
  StorageError,
} from "@bulwark/tuf";
import { type FetchLimits, feedFetchError } from "../fetch-feed.js";
import { type Finding, finding } from "../finding.js";
import type { RoleKind } from "../finding-ids.js";

/** Delegated targets roles read (one bin of a set of hashed bins counts as one). */
export const MAX_DELEGATED_ROLES = 16;

/** What could be read of a repository: the inspection's view, and its problems as findings. */
export type LoadedRepository = Pick<
  RepositoryInspection,
  "root" | "rootVersions" | "timestamp" | "snapshot" | "targets" | "delegated" | "unread"
> & {
  /** Problems met while loading: metadata that does not verify or is missing. */
  readonly findings: readonly Finding[];
  /** True when the repository has no timestamp.json and `rootOnly` was allowed: a lone root. */
  readonly rootOnly: boolean;
};

/** The role part of a finding ID: a top-level role's name, else "delegated" (names come from the repository). */
export function roleKind(role: string): RoleKind {
  return role === "root" || role === "timestamp" || role === "snapshot" || role === "targets" ? role : "delegated";
}

const DOES_NOT_VERIFY_ASK =
  "Why does this metadata not verify? Clients refuse it, so updates stop; it can also mean someone tampered with the server.";

/**
 * Reads the repository at `source`. `trustedRoot` is the trusted root to start from
 * (`--root`), else the source's `root.json` (or `1.root.json`) is trusted on first use.
 * With `allowRootOnly`, a repository without timestamp.json is a lone root: its missing
 * files are not findings.
 * @throws {FeedFetchError} when the source cannot be read at all.
 * @throws {BulwarkError} when the root does not parse.
 */
export async function loadRepository(
  source: RepositorySource,
  options: {
    trustedRoot?: Uint8Array | undefined;
    now: number;
    limits: FetchLimits;
    allowRootOnly?: boolean;
    signal?: AbortSignal | undefined;
  },
): Promise<LoadedRepository> {
  let inspection: RepositoryInspection;
  try {
    inspection = await inspectRepository(source, {
      ...(options.trustedRoot ? { trustedRoot: options.trustedRoot } : {}),
      at: options.now,
      maxDelegatedRoles: MAX_DELEGATED_ROLES,
      firstBinOnly: true,
      ...(options.signal ? { signal: options.signal } : {}),
      maxLength: {
        root: options.limits.maxBytes,
        timestamp: options.limits.maxBytes,
        snapshot: options.limits.maxBytes,
        targets: options.limits.maxBytes,
      },
    });
  } catch (error) {
    throw feedFetchError(error, source.label, options.limits);
  }
  for (const p of inspection.problems) {
    if (unreachable(p.cause)) throw feedFetchError(p.cause, source.metadataUrl(p.file ?? ""), options.limits);
  }
  const rootOnly =
    options.allowRootOnly === true && inspection.problems.some((p) => p.role === "timestamp" && missing(p.cause));
  const findings = inspection.problems.flatMap((p) => findingOf(p, source.label, rootOnly));
  const { root, rootVersions, timestamp, snapshot, targets, delegated, unread } = inspection;
  return {
    root,
    rootVersions,
    ...(timestamp ? { timestamp } : {}),
    ...(snapshot ? { snapshot } : {}),
    ...(targets ? { targets } : {}),
    delegated,
    unread,
    findings,
    rootOnly,
  };
}

function missing(cause: BulwarkError | undefined): boolean {
  return cause instanceof DownloadHttpError && (cause.status === 404 || cause.status === 403);
}

/** A failure to read the source at all (not "no such file"): an error of the audit, not a finding. */
function unreachable(cause: BulwarkError | undefined): cause is BulwarkError {
  return (cause instanceof DownloadError && !missing(cause)) || cause instanceof StorageError;
}

function findingOf(p: InspectionProblem, label: string, rootOnly: boolean): Finding[] {
  const role = p.role ?? "targets";
  const kind = roleKind(role);
  // The audit judges expiry itself, against role norms.
  if (p.code === "TUF_EXPIRED_METADATA" && p.cause === undefined) return [];
  if (missing(p.cause)) {
    if (rootOnly) return [];
    const file = p.file ?? `${role}.json`;
    return [
      finding(
        `tuf.${kind}.missing`,
        "high",
        `${file} is missing`,
        `${label} has no ${file}`,
        "Why is this metadata file not published? Clients cannot update without it.",
        role,
      ),
    ];
  }
  const evidence = p.cause?.message ?? p.message;
  if (role === "root") {
    const version = /^(\d+)\.root\.json$/.exec(p.file ?? "")?.[1];
    const title =
      version === undefined
        ? "root is not signed by a threshold of its own keys"
        : `root version ${version} does not verify`;
    return [finding("tuf.root.does-not-verify", "high", title, evidence, DOES_NOT_VERIFY_ASK, "root")];
  }
  return [
    finding(
      `tuf.${kind}.does-not-verify`,
      "high",
      `${role} metadata does not verify`,
      p.message,
      DOES_NOT_VERIFY_ASK,
      role,
    ),
  ];
}
