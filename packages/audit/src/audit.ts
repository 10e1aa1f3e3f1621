/**
 * The audit of one feed: resolves the input (a URL, a file, a folder),
 * reads it within bounds, recognises the feed type, runs that type's audit, and assembles
 * the report. A feed that does not parse is a finding (graded F), not an error; a feed
 * that cannot be fetched is an error.
 */
import { createHash } from "node:crypto";
import { existsSync, promises as fs } from "node:fs";
import path from "node:path";
import {
  BulwarkError,
  FormatError,
  folderRepository,
  httpRepository,
  parseJson,
  type RepositorySource,
} from "@bulwark/tuf";
import { isLoopback, loopbackNote, transportOf } from "./common.js";
import { baseName, type DetectedKind, detectFeed } from "./detect.js";
import { auditElectron } from "./electron.js";
import { AuditInputError, FEED_ERRORS, FETCH_ERRORS, FeedFetchError, INPUT_ERRORS } from "./errors.js";
import {
  auditFetcher,
  FETCH_LIMITS,
  type Fetched,
  type FetchLimits,
  fetchUrl,
  isUrl,
  readLocal,
} from "./fetch-feed.js";
import { allUnknown, type FeedAudit, type FeedType, finding } from "./finding.js";
import type { FindingId } from "./finding-ids.js";
import { type AuditReport, buildReport, type ReportSource } from "./report.js";
import { ENTITY_REFUSED, LIMIT_EXCEEDED, UNREADABLE } from "./rubric.js";
import { auditSparkle } from "./sparkle.js";
import { auditSquirrel } from "./squirrel.js";
import { auditTuf } from "./tuf/audit-tuf.js";
import { loadRepository } from "./tuf/inspect.js";
import { auditUnknown } from "./unknown.js";

/** What one audit needs besides its input; every field has a default. */
export interface AuditOptions {
  /** Where relative paths (the input, `rootFile`) are resolved. Default `process.cwd()`. */
  readonly cwd?: string;
  /** The audit's instant, in ms since the epoch: expiry is judged at it. Default now. */
  readonly now?: number;
  /** Bounds of every fetch. Default {@link FETCH_LIMITS}. */
  readonly limits?: FetchLimits;
  /** The version of the tool, for the report. Default "0.1.0" (this package's). */
  readonly toolVersion?: string;
  /** The vendor's name, for the report. */
  readonly vendor?: string | undefined;
  /** A trusted root.json to start a TUF repository's root chain from. */
  readonly rootFile?: string | undefined;
  readonly signal?: AbortSignal | undefined;
}

const FEED_TYPE: Readonly<Record<DetectedKind, FeedType>> = {
  "tuf-metadata": "tuf",
  "electron-updater": "electron-updater",
  sparkle: "sparkle",
  "squirrel-windows": "squirrel-windows",
  unknown: "unknown",
};

/** {@link AuditOptions} with every default filled in. */
type Resolved = Required<Omit<AuditOptions, "vendor" | "rootFile" | "signal">> &
  Pick<AuditOptions, "vendor" | "rootFile" | "signal">;

/** The version reports name when the caller does not say. */
export const AUDIT_TOOL_VERSION = "0.1.0";

/**
 * Audits the feed at `input`: an http(s) URL, a feed file, or a repository folder.
 * @throws {FeedFetchError} when it cannot be read (unreachable, too large, too slow, a refused redirect).
 * @throws {AuditInputError} `NOT_A_FEED` for a folder that holds no metadata.
 */
export async function auditFeed(input: string, given: AuditOptions = {}): Promise<AuditReport> {
  const options: Resolved = {
    cwd: process.cwd(),
    now: Date.now(),
    limits: FETCH_LIMITS,
    toolVersion: AUDIT_TOOL_VERSION,
    ...given,
  };
  const rootBytes =
    options.rootFile === undefined
      ? undefined
      : (await readLocal(path.resolve(options.cwd, options.rootFile), options.limits)).bytes;
  const { audit, source } = isUrl(input)
    ? await auditUrl(input, options, rootBytes)
    : await auditPath(input, options, rootBytes);
  return buildReport(
    audit,
    { input, ...source },
    { vendor: options.vendor, now: options.now, toolVersion: options.toolVersion },
  );
}

type Audited = { audit: FeedAudit; source: Omit<ReportSource, "input"> };

async function auditUrl(input: string, options: Resolved, rootBytes: Buffer | undefined): Promise<Audited> {
  const report = (audit: FeedAudit, source: Omit<ReportSource, "input">) => ({ audit, source });
  const url = new URL(input);
  if (/\/metadata\/?$/.test(url.pathname)) {
    const base = url.href.endsWith("/") ? url.href : `${url.href}/`;
    const audit = await repositoryAudit(urlSource(base, options.limits), {
      rootBytes,
      now: options.now,
      limits: options.limits,
      signal: options.signal,
    });
    return report(audit, { location: base, redirects: [], sha256: null });
  }
  const fetched = await fetchUrl(input, options.limits, options.signal);
  const kind = detectFeed(baseName(fetched.location), fetched.bytes);
  if (kind === "tuf-metadata") {
    const base = new URL(".", fetched.location).href;
    const audit = await repositoryAudit(urlSource(base, options.limits), {
      rootBytes: rootBytes ?? rootOf(fetched),
      now: options.now,
      limits: options.limits,
      signal: options.signal,
      probe: true,
    });
    return report(audit, { location: base, redirects: fetched.redirects, sha256: null });
  }
  return report(documentAudit(kind, fetched), {
    location: fetched.location,
    redirects: fetched.redirects,
    sha256: sha256(fetched.bytes),
  });
}

async function auditPath(input: string, options: Resolved, rootBytes: Buffer | undefined): Promise<Audited> {
  const report = (audit: FeedAudit, source: Omit<ReportSource, "input">) => ({ audit, source });
  const file = path.resolve(options.cwd, input);
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat === undefined)
    throw new FeedFetchError(FETCH_ERRORS.NOT_FOUND, `${input} does not exist`, {
      hint: "give a feed URL, a feed file, or a repository folder",
    });
  if (stat.isDirectory()) {
    const bulwarkFolder = existsSync(path.join(file, "bulwark.json"));
    const dir = bulwarkFolder
      ? path.join(file, "public", "metadata")
      : existsSync(path.join(file, "metadata"))
        ? path.join(file, "metadata")
        : file;
    if (
      !existsSync(path.join(dir, "root.json")) &&
      !existsSync(path.join(dir, "1.root.json")) &&
      rootBytes === undefined
    ) {
      throw new AuditInputError(
        INPUT_ERRORS.NOT_A_FEED,
        `${input} holds no TUF metadata (root.json)`,
        "give a repository folder, its metadata/ folder, or a feed file",
      );
    }
    const audit = await repositoryAudit(folderSource(dir), {
      rootBytes,
      now: options.now,
      limits: options.limits,
      signal: options.signal,
      bulwarkFolder,
    });
    return report(audit, { location: dir, redirects: [], sha256: null });
  }
  const fetched = await readLocal(file, options.limits);
  const kind = detectFeed(path.basename(file), fetched.bytes);
  if (kind === "tuf-metadata") {
    const audit = await repositoryAudit(folderSource(path.dirname(file)), {
      rootBytes: rootBytes ?? rootOf(fetched),
      now: options.now,
      limits: options.limits,
      signal: options.signal,
      probe: true,
    });
    return report(audit, { location: path.dirname(file), redirects: [], sha256: null });
  }
  return report(documentAudit(kind, fetched), { location: file, redirects: [], sha256: sha256(fetched.bytes) });
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * The given metadata file, when it is a root; else undefined (the folder's root.json is
 * read). A file that is not metadata at all (no `_type`, or no JSON) is given back, to be
 * reported as it is, without parsing it twice.
 */
function rootOf(fetched: Fetched): Buffer | undefined {
  if (!fetched.bytes.includes('"_type"')) return fetched.bytes;
  try {
    const json = parseJson(fetched.bytes);
    const type = (json as { signed?: { _type?: unknown } } | null)?.signed?._type;
    return type === "root" ? fetched.bytes : undefined;
  } catch {
    return fetched.bytes; // parsed again, and reported, by the repository audit
  }
}

/** The metadata served under `base` (ending in `/`), through the audit's fetcher. */
function urlSource(base: string, limits: FetchLimits): RepositorySource {
  return httpRepository({ metadataUrl: base, fetcher: auditFetcher(limits), label: base });
}

/** The metadata folder `dir`. */
function folderSource(dir: string): RepositorySource {
  return folderRepository({ metadataDir: dir, label: dir });
}

async function repositoryAudit(
  source: RepositorySource,
  options: {
    rootBytes: Buffer | undefined;
    now: number;
    limits: FetchLimits;
    signal: AbortSignal | undefined;
    bulwarkFolder?: boolean;
    probe?: boolean;
  },
): Promise<FeedAudit> {
  try {
    // A lone root.json (no timestamp beside it) is audited as a root, not as a broken repository.
    const repo = await loadRepository(source, {
      trustedRoot: options.rootBytes,
      now: options.now,
      limits: options.limits,
      signal: options.signal,
      allowRootOnly: options.probe === true,
    });
    const audit = auditTuf(repo, options.now, {
      bulwarkFolder: options.bulwarkFolder === true,
      rootOnly: repo.rootOnly,
    });
    if (!/^http:/i.test(source.label)) return audit;
    // TUF does not rely on the transport: plain http exposes what clients fetch, nothing more.
    const http = isLoopback(source.label)
      ? loopbackNote(source.label, `the repository itself: ${source.label}`)
      : finding(
          "transport.plain-http",
          "info",
          "metadata is served over plain HTTP (no TLS): every file is still verified, but anyone on the path sees what clients fetch",
          `the repository itself: ${source.label}`,
        );
    return { ...audit, findings: [...audit.findings, http] };
  } catch (error) {
    // Only a root that does not parse gets here: every later failure is a finding of the walk.
    if (error instanceof FeedFetchError || error instanceof AuditInputError || !(error instanceof BulwarkError)) {
      throw error;
    }
    return unreadable("tuf", error);
  }
}

function documentAudit(kind: DetectedKind, fetched: Fetched): FeedAudit {
  const name = baseName(fetched.location);
  const withTransport = (audit: FeedAudit): FeedAudit => ({
    ...audit,
    facts: [...audit.facts, ["transport", transportOf(fetched.location)]],
  });
  try {
    switch (kind) {
      case "electron-updater":
        return withTransport(auditElectron(fetched.bytes, fetched.location, name));
      case "sparkle":
        return withTransport(auditSparkle(fetched.bytes, fetched.location));
      case "squirrel-windows":
        return withTransport(auditSquirrel(fetched.bytes, fetched.location));
      case "tuf-metadata":
      case "unknown":
        return auditUnknown(fetched.bytes, fetched.location); // names its transport itself
    }
  } catch (error) {
    if (!(error instanceof FormatError)) throw error;
    return withTransport(unreadable(FEED_TYPE[kind], error));
  }
}

/** What the reader refused, for the finding's title: the construct or the bound, in plain words. */
function refusal(error: BulwarkError): { id: FindingId; title: string; ask: string } {
  const what = error.message.replace(/^(?:YAML|XML|RELEASES): /, "");
  switch (error.code) {
    case FEED_ERRORS.XML_ENTITY:
      return {
        id: ENTITY_REFUSED,
        title: `refused, not read: ${what}`,
        ask: "Why does the feed carry a DTD or entity declarations? Update clients' XML parsers may expand them.",
      };
    case FEED_ERRORS.TOO_LARGE:
    case FEED_ERRORS.TOO_DEEP:
      return {
        id: LIMIT_EXCEEDED,
        title: `refused at the audit's resource bound, not read further: ${what}`,
        ask: "Is this the feed the app reads? A real feed is a few kilobytes, flat and without aliases; this shape is built to exhaust a parser's memory or stack.",
      };
    default:
      return {
        id: UNREADABLE,
        title: `the feed cannot be read: ${what}`,
        ask: "Is this the feed the app reads? As served, it does not parse.",
      };
  }
}

/** The audit of a feed that does not parse, or was refused at a bound: one finding, every attack unknown, graded F. */
function unreadable(type: FeedType, error: BulwarkError): FeedAudit {
  const { id, title, ask } = refusal(error);
  return {
    type,
    facts: [["parse error", `${error.code}: ${error.message}`]],
    findings: [finding(id, "high", title, `${type} feed: ${error.message}`, ask)],
    attacks: allUnknown("the feed could not be read"),
  };
}
