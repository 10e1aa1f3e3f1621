/**
 * Layer 1, the release diff: what changed between the previous release and this one. Files
 * added, removed and changed; new native executables; npm modules whose files changed while
 * their declared version did not; network indicators that appear nowhere in the previous
 * release; files that became high-entropy (packed or encrypted). Binaries whose bytes
 * changed are compared by the binary layer (`compareBinaries`: imports, versions, sections,
 * signatures), called through {@link DiffOptions.compareChanged}.
 */
import type { Finding, Severity } from "../finding.js";
import type { FileRecord, Inventory } from "../inventory.js";
import { isPackageJson, moduleRootOf, owningRoot } from "./npm.js";

/** Entropy (bits per byte) from which a file reads as packed or encrypted. */
export const HIGH_ENTROPY = 7.2;
/** Rise in a file's entropy (bits per byte) that counts as a jump. */
export const ENTROPY_JUMP = 1.5;
/** Most paths listed in one finding's evidence. */
export const MAX_LISTED = 50;

/** Options of {@link diffReleases}. */
export interface DiffOptions {
  /** Extra findings for a file present in both releases whose sha256 changed (the binary layer). */
  readonly compareChanged?: (previous: FileRecord, next: FileRecord) => Finding[];
  /** True for a file that is a native binary (PE, ELF, Mach-O), and whether it is an executable. */
  readonly nativeKind?: (file: FileRecord) => { executable: boolean } | undefined;
}

function listed(paths: readonly string[]): string[] {
  return paths.length <= MAX_LISTED
    ? [...paths]
    : [...paths.slice(0, MAX_LISTED), `... ${paths.length - MAX_LISTED} more`];
}

function fileFindings(previous: Inventory, next: Inventory, options: DiffOptions): Finding[] {
  const findings: Finding[] = [];
  for (const [file, record] of next.files) {
    const before = previous.files.get(file);
    if (before === undefined) {
      const native = options.nativeKind?.(record);
      findings.push(
        native === undefined
          ? {
              id: "diff.file.added",
              severity: "info",
              layer: "diff",
              file,
              why: "a file the previous release did not have",
              evidence: { sha256: record.sha256, size: record.size },
            }
          : {
              id: native.executable ? "diff.executable.added" : "diff.library.added",
              severity: native.executable ? "medium" : "low",
              layer: "diff",
              file,
              why: native.executable
                ? "a new native executable: code that did not ship before runs on users' machines"
                : "a new native library: code that did not ship before can be loaded",
              evidence: { sha256: record.sha256, size: record.size },
            },
      );
      continue;
    }
    if (before.sha256 === record.sha256) continue;
    findings.push({
      id: "diff.file.changed",
      severity: "info",
      layer: "diff",
      file,
      why: "the file's bytes changed since the previous release",
      evidence: { previousSha256: before.sha256, sha256: record.sha256, previousSize: before.size, size: record.size },
    });
    findings.push(...(options.compareChanged?.(before, record) ?? []));
    const native = options.nativeKind?.(record) !== undefined;
    if (
      !native &&
      record.archive === undefined &&
      record.entropy >= HIGH_ENTROPY &&
      record.entropy - before.entropy >= ENTROPY_JUMP
    ) {
      findings.push({
        id: "diff.entropy.jump",
        severity: "medium",
        layer: "diff",
        file,
        why: "the file became high-entropy: packed or encrypted content where there was none",
        evidence: { previousEntropy: round(before.entropy), entropy: round(record.entropy) },
      });
    }
  }
  for (const [file, record] of previous.files) {
    if (next.files.has(file)) continue;
    findings.push({
      id: "diff.file.removed",
      severity: "info",
      layer: "diff",
      file,
      why: "a file of the previous release is gone",
      evidence: { previousSha256: record.sha256 },
    });
  }
  return findings;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** Module roots of an inventory: folder → its `package.json` record. */
function moduleRoots(inventory: Inventory): Map<string, FileRecord & { npm: NonNullable<FileRecord["npm"]> }> {
  const roots = new Map<string, FileRecord & { npm: NonNullable<FileRecord["npm"]> }>();
  for (const [file, record] of inventory.files) {
    if (isPackageJson(file) && record.npm !== undefined) roots.set(moduleRootOf(file), { ...record, npm: record.npm });
  }
  return roots;
}

function moduleFindings(previous: Inventory, next: Inventory): Finding[] {
  const findings: Finding[] = [];
  const before = moduleRoots(previous);
  const after = moduleRoots(next);
  const changedIn = new Map<string, string[]>();
  const rootSet = new Set(after.keys());
  for (const [file, record] of next.files) {
    const old = previous.files.get(file);
    if (old === undefined || old.sha256 === record.sha256 || isPackageJson(file)) continue;
    const root = owningRoot(file, rootSet);
    if (root === undefined) continue;
    const list = changedIn.get(root) ?? [];
    list.push(file);
    changedIn.set(root, list);
  }
  for (const [root, pkg] of after) {
    const file = root === "" ? "package.json" : `${root}/package.json`;
    const old = before.get(root);
    if (old === undefined) {
      findings.push({
        id: "diff.npm.module-added",
        severity: "info",
        layer: "diff",
        file,
        why: "an npm module the previous release did not have",
        evidence: { module: pkg.npm.name, version: pkg.npm.version },
      });
      continue;
    }
    if (old.npm.version !== pkg.npm.version || old.npm.name !== pkg.npm.name) {
      findings.push({
        id: "diff.npm.version-changed",
        severity: "info",
        layer: "diff",
        file,
        why: "an npm module changed version",
        evidence: { module: pkg.npm.name, previousVersion: old.npm.version, version: pkg.npm.version },
      });
      continue;
    }
    const changed = changedIn.get(root);
    if (changed === undefined) continue;
    findings.push({
      id: "diff.npm.changed-version-unchanged",
      severity: "medium",
      layer: "diff",
      file,
      why: "files of an npm module changed while its declared version did not: a rebuilt or tampered module",
      evidence: { module: pkg.npm.name, version: pkg.npm.version, changedFiles: listed(changed.sort()) },
    });
  }
  for (const [root, pkg] of before) {
    if (after.has(root)) continue;
    findings.push({
      id: "diff.npm.module-removed",
      severity: "info",
      layer: "diff",
      file: root === "" ? "package.json" : `${root}/package.json`,
      why: "an npm module of the previous release is gone",
      evidence: { module: pkg.npm.name, version: pkg.npm.version },
    });
  }
  return findings;
}

const NETWORK_KINDS = [
  ["urls", "diff.network.new-url", "url"],
  ["domains", "diff.network.new-domain", "domain"],
  ["ips", "diff.network.new-ip", "ip"],
] as const;

/** How a finding's one-line why names each kind of network indicator. */
const NETWORK_NOUNS: Readonly<Record<string, string>> = { url: "a URL", domain: "a domain", ip: "an IP address" };

function networkFindings(previous: Inventory, next: Inventory, options: DiffOptions): Finding[] {
  const findings: Finding[] = [];
  for (const [kind, id, label] of NETWORK_KINDS) {
    const known = new Set<string>();
    for (const record of previous.files.values()) for (const value of record.network[kind]) known.add(value);
    for (const [file, record] of next.files) {
      const native = options.nativeKind?.(record) !== undefined;
      // New URLs and names are common in real releases (documentation links in a new
      // version's strings); a new hard-coded IP address in a native binary is not.
      const severity: Severity = native && kind === "ips" ? "medium" : "low";
      for (const value of record.network[kind]) {
        if (known.has(value)) continue;
        findings.push({
          id,
          severity,
          layer: "diff",
          file,
          why: `${NETWORK_NOUNS[label] ?? `a ${label}`} that appears nowhere in the previous release`,
          evidence: { [label]: value, nativeBinary: native },
        });
      }
    }
  }
  return findings;
}

/**
 * Layer 1: the findings of comparing `next` with `previous`.
 */
export function diffReleases(previous: Inventory, next: Inventory, options: DiffOptions = {}): Finding[] {
  return [
    ...fileFindings(previous, next, options),
    ...moduleFindings(previous, next),
    ...networkFindings(previous, next, options),
  ];
}
