import { existsSync } from "node:fs";
import path from "node:path";
import { ATTESTATION_LIMITS, LOG_PROOF_LIMITS } from "@bulwark/client";
import {
  parseDuration,
  RELEASE_CHECK_CONCURRENCY,
  type RefreshKind,
  RepoDir,
  refreshWindow,
  verifyReleases,
} from "@bulwark/publisher";
import {
  describeRemaining,
  folderRepository,
  httpRepository,
  type InspectionProblem,
  inspectRepository,
  type RepositoryInspection,
  type RepositorySource,
  type RoleExpiry,
  readFileIfExists,
  TrustedMetadataSet,
} from "@bulwark/tuf";
import { defineCommand } from "../command.js";
import { CliError, usage } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { publisherOptions } from "../publisher-options.js";
import { Progress } from "../ui/progress.js";

/** Expiry warning window where no bulwark.json says otherwise (a URL, a plain folder). */
const DEFAULT_WARN_MS = 24 * 3600 * 1000;

/** The static tree served under an http(s) URL: metadata/ and targets/ under it. */
function httpSource(url: string): RepositorySource {
  const base = url.endsWith("/") ? url : `${url}/`;
  return httpRepository({ metadataUrl: `${base}metadata/`, targetsUrl: `${base}targets/`, label: base });
}

/** The static tree in a local folder: metadata/ and targets/ in it. */
function fileSource(dir: string): RepositorySource {
  return folderRepository({
    metadataDir: path.join(dir, "metadata"),
    targetsDir: path.join(dir, "targets"),
    label: dir,
  });
}

/** A problem or warning as `--json` prints it (and as the lines below show it). */
function reported(p: InspectionProblem): { role?: string; target?: string; code: string; message: string } {
  return {
    ...(p.role === undefined ? {} : { role: p.role }),
    ...(p.target === undefined ? {} : { target: p.target }),
    code: p.code,
    message: p.message,
  };
}

/** Parses `--at`: an ISO date, or `+DURATION` from now. */
function parseAt(text: string | undefined, now: number): number {
  if (text === undefined) return now;
  if (text.startsWith("+")) return now + parseDuration(text.slice(1), "--at") * 1000;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(at))
    throw usage(`--at ${JSON.stringify(text)} is not an ISO date (2025-06-01T12:00:00Z) or +DURATION (+7d)`);
  return at;
}

function fmtLeft(seconds: number): string {
  return describeRemaining(seconds * 1000);
}

/** The roles table, with each set of hashed bins summarised as one row. */
function roleRows(walk: RepositoryInspection): string[][] {
  const rows: string[][] = [];
  const sets = new Map<string, RoleExpiry[]>();
  for (const r of walk.roles) {
    const set = walk.binSets.get(r.name);
    if (set === undefined) {
      rows.push([r.name, String(r.version), `${r.expires.slice(0, 19)}Z`, fmtLeft(r.expiresIn)]);
      continue;
    }
    let members = sets.get(set);
    if (members === undefined) {
      members = [];
      sets.set(set, members);
      rows.push([set]);
    }
    members.push(r);
  }
  return rows.map((row) => {
    const members = row.length === 1 ? sets.get(row[0] as string) : undefined;
    if (members === undefined) return row;
    const versions = members.map((m) => m.version);
    const soonest = members.reduce((a, m) => (m.expiresIn < a.expiresIn ? m : a));
    const [lo, hi] = [Math.min(...versions), Math.max(...versions)];
    return [
      `${row[0]} (${members.length} roles)`,
      lo === hi ? String(lo) : `${lo}-${hi}`,
      `${soonest.expires.slice(0, 19)}Z`,
      `${fmtLeft(soonest.expiresIn)} (soonest)`,
    ];
  });
}

export default defineCommand({
  name: "repo verify",
  summary: "verify a repository as a client would, and report every problem",
  description: `Walks the repository exactly as a client does (TUF spec §5), starting from a trusted
root: every root rotation, timestamp, snapshot, targets and every role of the delegation
graph (all hashed bins), then every target file's length and hashes. It goes on past a
failure wherever the rest can still be checked and reports every problem: a role whose
signature, version, length or hash is wrong, an expired role, a snapshot that rolls a role
back compared with the previous snapshot version, a missing or altered target file.

Then every release the repository lists (revoked ones aside) goes through the checks a
client makes before it downloads a release, by the client's own code: when the root has a
release policy, k of its builders must attest the file under its name and version
(CLIENT_NO_BUILD_QUORUM); when the root names a transparency log, the proof beside the
file must verify against the log key and k of the witnesses (CLIENT_NOT_IN_LOG,
CLIENT_BAD_LOG_PROOF). Each release reads at most the client's limits:
${ATTESTATION_LIMITS.maxBundles} attestation bundles of ${ATTESTATION_LIMITS.maxBundleBytes / 2 ** 20} MiB (checked against their signed length first) and a
${LOG_PROOF_LIMITS.maxProofBytes / 1024} KiB proof; ${RELEASE_CHECK_CONCURRENCY} releases are checked at a time.

REPO is a Bulwark repository folder (its public/ tree is read), any folder with metadata/
and targets/, or the http(s) URL under which metadata/ and targets/ are served. Target
files are checked by default for a folder; for a URL only with --check-targets (every
file is downloaded).

Roles that expire within their refreshBefore window (bulwark.json; 24 hours for a URL or
a plain folder) are warnings, not problems. --at judges expiry at another instant:
"will this still verify next week?" is --at +7d.

Exit codes: 0 no problem; 1 problems found (listed); 2 bad arguments or trusted root.

--json prints:
  { "ok": boolean, "at": ISO date, "source": string, "targetsChecked": number|null,
    "releasesChecked": number|null (null when root has neither policy),
    "problems": [{ "role"?, "target"?, "code", "message" }],
    "warnings": [{ "role"?, "target"?, "code", "message" }],
    "roles": [{ "name", "version", "expires": ISO date, "expiresIn": seconds from --at }] }

Examples:
  bulwark repo verify ./updates --root ./app/root.json
  bulwark repo verify https://updates.example.com/ --root root.json --check-targets --at +7d`,
  positionals: [
    { name: "REPO", description: "a repository folder, a folder with metadata/ and targets/, or an http(s) URL" },
  ],
  options: [
    {
      name: "root",
      type: "string",
      valueName: "ROOT",
      required: true,
      description: "the trusted root.json to start from, as shipped to clients",
    },
    {
      name: "at",
      type: "string",
      valueName: "TIME",
      description: "judge expiry at this instant: an ISO date or +DURATION (default: now)",
    },
    { name: "check-targets", type: "boolean", description: "download and check every target file (for a URL)" },
    { name: "skip-targets", type: "boolean", description: "do not check target files (for a folder)" },
  ],
  async run({ positionals, options }, ctx) {
    const repoArg = positionals.REPO;
    const rootArg = options.root;
    const at = parseAt(options.at, ctx.now());

    let source: RepositorySource;
    let warnWindow = (_kind: RefreshKind) => DEFAULT_WARN_MS;
    if (/^https?:\/\//i.test(repoArg)) {
      source = httpSource(repoArg);
    } else {
      const dir = path.resolve(ctx.cwd, repoArg);
      if (existsSync(path.join(dir, "bulwark.json"))) {
        const repoDir = await RepoDir.open(repoArg, publisherOptions(ctx));
        source = fileSource(repoDir.paths.public);
        warnWindow = (kind) => refreshWindow(repoDir.config, kind).ms;
      } else if (existsSync(path.join(dir, "metadata"))) {
        source = fileSource(dir);
      } else {
        throw new CliError(
          "NOT_A_REPOSITORY",
          `${repoArg} is neither a Bulwark repository nor a folder with metadata/`,
          EXIT.USAGE,
          "give the repository folder, its public/ folder, or the URL it is served under",
        );
      }
    }
    const rootBytes = await readFileIfExists(path.resolve(ctx.cwd, rootArg));
    if (rootBytes === undefined) throw usage(`--root ${rootArg} does not exist`);
    try {
      // Only to refuse an unusable trusted root as a usage error; the inspection verifies it again.
      new TrustedMetadataSet(rootBytes, { referenceTime: new Date(0) });
    } catch (cause) {
      throw new CliError(
        "BAD_TRUSTED_ROOT",
        `${rootArg} is not a usable trusted root: ${(cause as Error).message}`,
        EXIT.USAGE,
        "give the root.json your clients ship with (for example the repository's metadata/1.root.json)",
        { cause },
      );
    }
    const walk = await inspectRepository(source, {
      trustedRoot: rootBytes,
      at,
      warnWithin: warnWindow,
      checkTargets: source.local ? !options.skipTargets : options.checkTargets,
      progress: (label, total) => new Progress(ctx.out.streams.stderr, label, total, ctx.out.progress),
    });
    // What a client checks before it downloads a release, for every release listed.
    const releases = await verifyReleases(source, walk, { trustedRoot: rootBytes, at });
    const targetsChecked = walk.targetsChecked;
    const releasesChecked = releases.checked;
    const problems = [...walk.problems, ...releases.problems].map(reported);
    const warnings = [...walk.warnings, ...releases.warnings].map(reported);
    const ok = problems.length === 0;
    ctx.out.line(`${source.label} as of ${new Date(at).toISOString()}`);
    ctx.out.line("");
    ctx.out.table(["role", "version", "expires", "left"], roleRows(walk));
    if (!ctx.out.json) for (const w of warnings) ctx.out.warn(`${w.role ?? w.target ?? "releases"}: ${w.message}`);
    if (!ok) {
      ctx.out.line("");
      for (const p of problems) {
        const subject = p.target === undefined ? (p.role ?? "repository") : `${p.target} (${p.role})`;
        ctx.out.line(`${ctx.out.bad("✗")} ${subject}: ${p.message} [${p.code}]`);
      }
    }
    ctx.out.line("");
    const checked = [
      `${walk.roles.length} role(s)`,
      ...(targetsChecked === null ? [] : [`${targetsChecked} target file(s)`]),
      ...(releasesChecked === null ? [] : [`${releasesChecked} release(s)`]),
    ].join(", ");
    ctx.out.line(
      ok
        ? `${ctx.out.ok("OK")}: ${checked} verified`
        : `${ctx.out.bad("FAILED")}: ${problems.length} problem(s); ${checked} read`,
    );
    return {
      data: {
        ok,
        at: new Date(at).toISOString(),
        source: source.label,
        targetsChecked,
        releasesChecked,
        problems,
        warnings,
        roles: walk.roles,
      },
      exitCode: ok ? EXIT.OK : EXIT.FAILURE,
    };
  },
});
