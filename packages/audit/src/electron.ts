/**
 * The audit of an electron-updater feed (`latest.yml`, `latest-mac.yml`, `latest-linux.yml`):
 * version, files with sha512 and size, optional `stagingPercentage`. The file is not signed,
 * so everything in it is the server's word; what remains is each platform's own check of
 * the downloaded installer, which this audit states and cannot see from the feed.
 */
import {
  noExpiry,
  noIndependentBuilds,
  noRollbackProtection,
  noTransparencyLog,
  otherHostFindings,
  plainHttpFindings,
} from "./common.js";
import { legacyMismatch, unsafeFileNames } from "./electron-files.js";
import { FeedFormatError } from "./errors.js";
import { type AttackVerdict, type FeedAudit, type Finding, finding } from "./finding.js";
import { parseFeedYaml, type YamlMap, type YamlValue } from "./yaml-feed.js";

/** The platform a feed serves, from its name or its files. */
export type ElectronPlatform = "windows" | "macos" | "linux" | "unknown";

/** The platform of `latest.yml` (windows), `latest-mac.yml`, `latest-linux*.yml`, else from file extensions. */
export function electronPlatform(name: string, files: readonly string[]): ElectronPlatform {
  const base = name.toLowerCase();
  if (/^latest-mac\.ya?ml$/.test(base)) return "macos";
  if (/^latest-linux(?:-[\w-]+)?\.ya?ml$/.test(base)) return "linux";
  if (/^latest\.ya?ml$/.test(base)) return "windows";
  const ext = files.map((f) => f.toLowerCase());
  if (ext.some((f) => /\.(?:exe|msi|nupkg)$/.test(f))) return "windows";
  if (ext.some((f) => /\.(?:dmg|zip|pkg)$/.test(f))) return "macos";
  if (ext.some((f) => /\.(?:appimage|deb|rpm|snap|pacman)$/.test(f))) return "linux";
  return "unknown";
}

/** One file a feed lists. */
export interface FeedFile {
  readonly url: string;
  readonly sha512?: string;
  readonly sha2?: string;
  readonly size?: number;
  /** Where in the feed it is (`files[0]`, or `path` for the legacy single-file form). */
  readonly where: string;
}

/** What the audit reads of an electron-updater feed. */
export interface ElectronFeed {
  readonly version?: string;
  /** `files`, or the legacy top-level `path` (with `sha512`/`sha2`) when there is none. */
  readonly files: readonly FeedFile[];
  /** `stagingPercentage` as written, when present. */
  readonly stagingPercentage?: YamlValue;
  readonly releaseDate?: string;
  /** The legacy top-level `path` and `sha512`, when `files` is there too (older clients read them). */
  readonly legacy?: { readonly path: string; readonly sha512?: string };
}

const SHA512_BASE64 = /^[A-Za-z0-9+/]{86}==$/;

function str(map: YamlMap, key: string): string | undefined {
  const v = map.get(key);
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/**
 * Narrows a parsed document into an {@link ElectronFeed}, as electron-updater reads it:
 * the document must be a mapping; entries of `files` that are not mappings with a `url`
 * are skipped (the audit reports a feed without files as incomplete, not unreadable).
 * @throws {FeedFormatError} `AUDIT_BAD_YAML` when the document is not a mapping.
 */
export function readElectronFeed(doc: YamlValue): ElectronFeed {
  if (!(doc instanceof Map)) throw new FeedFormatError("AUDIT_BAD_YAML", "YAML: an electron-updater feed is a mapping");
  const files: FeedFile[] = [];
  const list = doc.get("files");
  if (Array.isArray(list)) {
    for (const [i, item] of list.entries()) {
      if (!(item instanceof Map)) continue;
      const url = str(item, "url");
      if (url === undefined) continue;
      const size = item.get("size");
      files.push({
        url,
        ...optional("sha512", str(item, "sha512")),
        ...optional("sha2", str(item, "sha2")),
        ...(typeof size === "number" ? { size } : {}),
        where: `files[${i}]`,
      });
    }
  }
  const legacy = str(doc, "path");
  if (files.length === 0 && legacy !== undefined) {
    files.push({
      url: legacy,
      ...optional("sha512", str(doc, "sha512")),
      ...optional("sha2", str(doc, "sha2")),
      where: "path",
    });
  }
  const version = str(doc, "version");
  const releaseDate = str(doc, "releaseDate");
  const legacySha = str(doc, "sha512");
  const legacyForm =
    legacy !== undefined && files[0]?.where !== "path"
      ? { legacy: { path: legacy, ...(legacySha === undefined ? {} : { sha512: legacySha }) } }
      : {};
  const staging = doc.get("stagingPercentage");
  return {
    files,
    ...(version === undefined ? {} : { version }),
    ...(releaseDate === undefined ? {} : { releaseDate }),
    ...legacyForm,
    ...(staging === undefined ? {} : { stagingPercentage: staging }),
  };
}

/**
 * Audits an electron-updater feed read from `location` (its file name tells the platform).
 * @throws {FeedFormatError} when it is not YAML within bounds, or not a mapping.
 */
export function auditElectron(bytes: Uint8Array, location: string, name: string): FeedAudit {
  const feed = readElectronFeed(parseFeedYaml(bytes));
  const { version, files } = feed;
  const platform = electronPlatform(
    name,
    files.map((f) => f.url),
  );
  const findings: Finding[] = [];
  if (version === undefined || files.length === 0) {
    findings.push(
      finding(
        "electron.incomplete",
        "medium",
        "the feed lacks a version or files: electron-updater cannot use it",
        `version: ${version ?? "(absent)"}, files: ${files.length}`,
        "Is this the feed the app reads?",
      ),
    );
  }
  findings.push(
    finding(
      "electron.feed-unsigned",
      "high",
      "the feed itself is not signed: the server can change the version, the file URLs and their sha512 together",
      `${name}: no signature field; sha512 sits beside the URL it describes`,
      "Is the feed (version, URL, hash) signed with a key the app ships with, or only the installer?",
    ),
  );
  findings.push(noExpiry("electron-updater YAML"));
  for (const f of files) {
    if (f.sha512 === undefined && f.sha2 === undefined) {
      findings.push(
        finding(
          "electron.no-hash",
          "medium",
          `${f.url} has no sha512: the download is not even checked for corruption`,
          `${f.where}: no sha512`,
          "Why is there no sha512 for this file?",
          f.url,
        ),
      );
    } else if (f.sha512 === undefined) {
      findings.push(
        finding(
          "electron.sha256-only",
          "low",
          `${f.url} has only the legacy sha2 (sha256) field`,
          `${f.where}.sha2: ${f.sha2}`,
          "Why is there no sha512?",
          f.url,
        ),
      );
    } else if (!SHA512_BASE64.test(f.sha512)) {
      findings.push(
        finding(
          "electron.bad-hash",
          "medium",
          `${f.url}: sha512 is not a base64 SHA-512 digest`,
          `${f.where}.sha512: ${f.sha512.slice(0, 24)}…`,
          "Is the feed generated by electron-builder?",
          f.url,
        ),
      );
    }
  }
  findings.push(...legacyMismatch(feed));
  const feedUrls = [
    { url: location, where: `the feed itself: ${location}` },
    ...files.map((f) => ({ url: f.url, where: `${f.where}.url: ${f.url}` })),
  ];
  findings.push(...plainHttpFindings(feedUrls, "high", "change the feed and the files it lists"));
  findings.push(...otherHostFindings(location, feedUrls.slice(1)));
  findings.push(
    noRollbackProtection(
      "electron-updater installs whatever the unsigned feed names as newer than the running version, so an older build the vendor signed, relabelled with a higher version, installs",
      `${name}: version: ${version ?? "(absent)"} is not signed`,
      "Does the app check the version of the downloaded installer itself, or sign the feed?",
    ),
  );
  findings.push(noTransparencyLog(name));
  const staging = feed.stagingPercentage;
  if (staging !== undefined) {
    findings.push(
      finding(
        "electron.staged-rollout",
        "info",
        `staged rollout at ${String(staging)}%: each client decides from a random ID it keeps locally; the unsigned percentage is the server's word`,
        `stagingPercentage: ${String(staging)}`,
      ),
    );
  }
  if (platform === "windows" || platform === "unknown") findings.push(...unsafeFileNames(files));
  findings.push(...platformFindings(platform, name));
  const attacks = electronAttacks(platform);
  findings.push(
    noIndependentBuilds(
      `${name}: nothing records who built ${files[0]?.url ?? "the installer"}`,
      platform === "linux"
        ? "nothing at all (Linux packages are not checked)"
        : "the vendor's code-signing certificate",
      attacks[0]?.verdict ?? "unknown",
    ),
  );
  const facts: Array<[string, string]> = [
    ["platform", platform],
    ["version", version ?? "(absent)"],
    ["files", files.map((f) => `${f.url}${f.size === undefined ? "" : ` (${f.size} bytes)`}`).join(", ") || "(none)"],
    ["hashes", files.every((f) => f.sha512 !== undefined) && files.length > 0 ? "sha512 on every file" : "incomplete"],
    ["feed signature", "none"],
  ];
  const released = feed.releaseDate;
  if (released !== undefined) facts.push(["release date", released]);
  if (staging !== undefined) facts.push(["staged rollout", `${String(staging)}%`]);
  return { type: "electron-updater", facts, findings, attacks };
}

function platformFindings(platform: ElectronPlatform, name: string): Finding[] {
  switch (platform) {
    case "windows":
      return [
        finding(
          "electron.windows-publisher-check",
          "high",
          "on Windows the only check beyond the unsigned feed is Authenticode, and electron-updater checks the publisher name only when the app is configured with it",
          `${name}: Windows installer; publisherName lives in the app's app-update.yml, not in the feed`,
          "Is every installer Authenticode-signed, and does the app's app-update.yml list publisherName (electron-builder writes it when it signs)? Is the signing certificate's private key off the build machine (an HSM)?",
        ),
      ];
    case "macos":
      return [
        finding(
          "electron.macos-code-signature",
          "info",
          "on macOS, Squirrel.Mac installs an update only if its code signature satisfies the running app's designated requirement: the server alone cannot install unsigned code, but can serve any older build the vendor signed",
          `${name}: macOS archive; the designated requirement is in the installed app, not in the feed`,
          "Is the app signed with a Developer ID whose key is off the build machine?",
        ),
      ];
    case "linux":
      return [
        finding(
          "electron.linux-no-signature",
          "critical",
          "on Linux (AppImage, deb, rpm) electron-updater checks the download only against the sha512 in this unsigned file: whoever controls the server installs anything",
          `${name}: Linux package; no signature is verified`,
          "Can Linux users get updates through a signed channel instead (a signed apt/rpm repository, or a TUF client)?",
        ),
      ];
    default:
      return [
        finding(
          "electron.platform-unknown",
          "medium",
          "the platform cannot be told from the feed: which code-signature check applies is unknown",
          `${name}: no platform-specific file name or extension`,
          "Which platform is this feed for?",
        ),
      ];
  }
}

function electronAttacks(platform: ElectronPlatform): AttackVerdict[] {
  const install: AttackVerdict =
    platform === "linux"
      ? {
          attack: "arbitrary-install",
          verdict: "possible",
          detail: "the server sets the sha512 the download is checked against",
        }
      : platform === "macos"
        ? {
            attack: "arbitrary-install",
            verdict: "prevented",
            detail: "needs a build signed with the vendor's Developer ID (Squirrel.Mac checks it)",
          }
        : {
            attack: "arbitrary-install",
            verdict: "unknown",
            detail:
              platform === "windows"
                ? "prevented only if the app checks the Authenticode publisher name (not visible in the feed)"
                : "depends on the platform's code-signature check",
          };
  return [
    install,
    {
      attack: "rollback",
      verdict: "possible",
      detail: "the version is not signed: an older build the vendor signed can be served as the newest",
    },
    {
      attack: "freeze",
      verdict: "possible",
      detail: "the feed never expires: the server can serve an old one forever",
    },
    {
      attack: "mix-and-match",
      verdict: "possible",
      detail: "nothing binds version, URL and hash together except the unsigned file",
    },
    {
      attack: "endless-data",
      verdict: "possible",
      detail: "the size is the server's word; only the client's own limits apply",
    },
    {
      attack: "targeted-release",
      verdict: "possible",
      detail: "the server can answer each client differently; nothing makes releases public",
    },
    {
      attack: "build-machine",
      verdict: "possible",
      detail:
        "a trojan built and signed on the vendor's build machine installs like any release (3CX was an Electron app)",
    },
  ];
}
