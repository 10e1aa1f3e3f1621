/**
 * Layers 1 and 2 across releases for one binary whose bytes changed: what a rebuilt, trojanised
 * library looks like next to the genuine one (the 3CX `ffmpeg.dll`: same version, new imports,
 * a loader for another DLL) and what a stripped or re-signed one looks like.
 */
import type { Evidence, Finding, Layer, Severity } from "../finding.js";
import type { BinaryInfo } from "./types.js";

/** Thresholds of {@link compareBinaries}, named so the docs and tests can cite them. */
export const COMPARE_THRESHOLDS = {
  /** A section whose entropy moves by this many bits per byte or more is reported. */
  entropyJump: 1.0,
  /** ...unless it is smaller than this (tiny sections swing wildly). */
  entropyMinSize: 512,
  /** An added overlay at or above this entropy (compressed or encrypted) is high severity. */
  packedEntropy: 7.2,
  /** ...when it is at least this large. */
  packedMinSize: 1024,
} as const;

/**
 * Imports that load or resolve code at run time: the second stage of a loader (3CX's ffmpeg.dll
 * gained the code that loaded d3dcompiler_47.dll's payload). Lower-case, without the DLL.
 */
const LOADER_FUNCTIONS = new Set([
  "loadlibrarya",
  "loadlibraryw",
  "loadlibraryexa",
  "loadlibraryexw",
  "getprocaddress",
  "ldrloaddll",
  "ldrgetprocedureaddress",
  "dlopen",
  "dlmopen",
  "dlsym",
  "dlvsym",
]);

/** Imports that start processes, touch other processes' memory, or talk to the network. */
const SENSITIVE_FUNCTIONS = new Set([
  "createprocessa",
  "createprocessw",
  "createremotethread",
  "virtualallocex",
  "virtualprotect",
  "writeprocessmemory",
  "shellexecutea",
  "shellexecutew",
  "winexec",
  "internetopena",
  "internetopenw",
  "internetopenurla",
  "internetopenurlw",
  "winhttpopen",
  "winhttpconnect",
  "urldownloadtofilea",
  "urldownloadtofilew",
  "cryptdecrypt",
  "bcryptdecrypt",
  "execve",
  "execvp",
  "system",
  "popen",
  "fork",
  "ptrace",
  "connect",
  "socket",
  "mprotect",
]);

/** The function part of a normalised import (`kernel32.dll!LoadLibraryW`, `sym:dlopen`), lower-case. */
function functionOf(entry: string): string {
  const bang = entry.indexOf("!");
  if (bang !== -1) return entry.slice(bang + 1).toLowerCase();
  return entry.startsWith("sym:") ? entry.slice(4).replace(/@.*$/, "").toLowerCase() : "";
}

/**
 * Compares two readings of the same binary across releases (the caller has seen its sha256
 * change): version unchanged while bytes changed, imports added or removed, sections added,
 * entropy jumps in sections or the overlay, a signature removed, a signer changed.
 */
export function compareBinaries(previous: BinaryInfo, next: BinaryInfo, file: string): Finding[] {
  const findings: Finding[] = [];
  const add = (layer: Layer, id: string, severity: Severity, why: string, evidence: Evidence): void => {
    findings.push({ id, severity, layer, file, why, evidence });
  };
  if (previous.format !== next.format) {
    add("diff", "diff.binary.format-changed", "medium", `the file changed from ${previous.format} to ${next.format}`, {
      before: previous.format,
      after: next.format,
    });
    return findings;
  }
  if (previous.version !== undefined && previous.version === next.version) {
    add(
      "diff",
      "diff.binary.version-unchanged",
      "high",
      `the bytes changed but the version (${next.version}) did not: a rebuilt or patched binary`,
      {
        version: next.version,
        ...(next.name ? { name: next.name } : {}),
      },
    );
  }
  if (!previous.executable && next.executable) {
    add("diff", "diff.binary.became-executable", "medium", "a library became an executable", {});
  }
  if (previous.name !== undefined && next.name !== undefined && previous.name !== next.name) {
    add(
      "diff",
      "diff.binary.name-changed",
      "low",
      `the binary's own name changed from ${previous.name} to ${next.name}`,
      {
        before: previous.name,
        after: next.name,
      },
    );
  }
  compareImports(previous, next, add);
  compareSections(previous, next, add);
  compareSignatures(previous, next, add);
  return findings;
}

type Add = (layer: Layer, id: string, severity: Severity, why: string, evidence: Evidence) => void;

function compareImports(previous: BinaryInfo, next: BinaryInfo, add: Add): void {
  const before = new Set(previous.imports);
  const after = new Set(next.imports);
  const added = next.imports.filter((i) => !before.has(i));
  const removed = previous.imports.filter((i) => !after.has(i));
  const loaders = added.filter((i) => LOADER_FUNCTIONS.has(functionOf(i)));
  if (loaders.length > 0) {
    add(
      "diff",
      "diff.binary.loader-import-added",
      "high",
      `the binary gained run-time code loading (${loaders.join(", ")})`,
      {
        added: loaders,
      },
    );
  }
  if (added.length > 0) {
    const sensitive = added.filter((i) => SENSITIVE_FUNCTIONS.has(functionOf(i)));
    add(
      "diff",
      "diff.binary.imports-added",
      sensitive.length > 0 ? "high" : "medium",
      `the binary imports ${added.length} new function(s) or librar(ies)${sensitive.length > 0 ? `, among them ${sensitive.join(", ")}` : ""}`,
      { added, ...(sensitive.length > 0 ? { sensitive } : {}) },
    );
  }
  if (removed.length > 0) {
    add(
      "diff",
      "diff.binary.imports-removed",
      "low",
      `the binary no longer imports ${removed.length} function(s) or librar(ies)`,
      {
        removed,
      },
    );
  }
}

function compareSections(previous: BinaryInfo, next: BinaryInfo, add: Add): void {
  const before = new Map(previous.sections.map((s) => [s.name, s]));
  for (const s of next.sections) {
    const old = before.get(s.name);
    if (!old) {
      add(
        "diff",
        "diff.binary.section-added",
        s.executable ? "medium" : "low",
        `a new ${s.executable ? "executable " : ""}section ${s.name}`,
        {
          section: s.name,
          size: s.size,
          entropy: s.entropy,
        },
      );
      continue;
    }
    const jump = Math.abs(s.entropy - old.entropy);
    if (jump >= COMPARE_THRESHOLDS.entropyJump && s.size >= COMPARE_THRESHOLDS.entropyMinSize) {
      add(
        "diff",
        "diff.binary.section-entropy-jump",
        "medium",
        `section ${s.name}'s entropy moved from ${old.entropy} to ${s.entropy} bits per byte`,
        {
          section: s.name,
          before: old.entropy,
          after: s.entropy,
          sizeBefore: old.size,
          sizeAfter: s.size,
        },
      );
    }
  }
  const overlay = next.overlay;
  if (overlay && !previous.overlay) {
    const packed =
      overlay.entropy >= COMPARE_THRESHOLDS.packedEntropy && overlay.size >= COMPARE_THRESHOLDS.packedMinSize;
    add(
      "diff",
      "diff.binary.overlay-added",
      packed ? "high" : "medium",
      `${overlay.size} bytes now follow the image (overlay)${packed ? ", compressed or encrypted by their entropy" : ""}`,
      { offset: overlay.offset, size: overlay.size, entropy: overlay.entropy },
    );
  } else if (overlay && previous.overlay) {
    const jump = Math.abs(overlay.entropy - previous.overlay.entropy);
    if (jump >= COMPARE_THRESHOLDS.entropyJump && overlay.size >= COMPARE_THRESHOLDS.entropyMinSize) {
      add(
        "diff",
        "diff.binary.overlay-entropy-jump",
        "medium",
        `the overlay's entropy moved from ${previous.overlay.entropy} to ${overlay.entropy}`,
        {
          before: previous.overlay.entropy,
          after: overlay.entropy,
          sizeBefore: previous.overlay.size,
          sizeAfter: overlay.size,
        },
      );
    }
  }
}

function compareSignatures(previous: BinaryInfo, next: BinaryInfo, add: Add): void {
  const a = previous.signature;
  const b = next.signature;
  if (a.present && !b.present) {
    add(
      "signature",
      "signature.binary.signature-removed",
      "high",
      "the previous release's binary was signed; this one is not",
      {
        ...(a.signer ? { signerBefore: a.signer } : {}),
      },
    );
    return;
  }
  const identity = (s: typeof a): string | undefined =>
    s.signer === undefined ? undefined : `${s.signer}${s.issuer ? ` / ${s.issuer}` : ""}`;
  const before = identity(a);
  const after = identity(b);
  if (a.present && b.present && before !== undefined && after !== undefined && before !== after) {
    add("signature", "signature.binary.signer-changed", "high", `the signer changed from ${before} to ${after}`, {
      before,
      after,
    });
  }
}
