/**
 * Mach-O (Apple's <mach-o/loader.h>, <mach-o/fat.h>): thin files of either byte order and word
 * size, and fat (universal) files of several slices. Reads segments and sections, the dylibs it
 * loads (LC_LOAD_DYLIB and its weak, re-export, lazy and upward kinds), its own LC_ID_DYLIB, and
 * LC_CODE_SIGNATURE: the code-signature superblock and the signing identity and team id from
 * the CodeDirectory (<Security/CSCommonPriv.h> blob layout, big-endian).
 */
import { ScanLimitError } from "../errors.js";
import type { Evidence, Finding, Severity } from "../finding.js";
import { entropy } from "./entropy.js";
import { BINARY_LIMITS } from "./limits.js";
import { ByteReader } from "./reader.js";
import { FAT_MAGIC_64 } from "./sniff.js";
import type { BinaryInfo, SectionInfo, SignatureInfo } from "./types.js";

const MH_EXECUTE = 2;
const LC = {
  segment: 0x1,
  segment64: 0x19,
  idDylib: 0xd,
  codeSignature: 0x1d,
} as const;
const LOAD_DYLIB = new Set([0xc, 0x80000018, 0x8000001f, 0x20, 0x80000023]);
const CSMAGIC = { embedded: 0xfade0cc0, codeDirectory: 0xfade0c02, blobWrapper: 0xfade0b01 } as const;
const CS_ADHOC = 0x2;
const ZEROFILL = new Set([0x1, 0xc, 0x12]);
const CPU_NAMES: ReadonlyMap<number, string> = new Map([
  [7, "i386"],
  [0x01000007, "x86_64"],
  [12, "arm"],
  [0x0100000c, "arm64"],
  [0x0200000c, "arm64_32"],
  [18, "ppc"],
  [0x01000012, "ppc64"],
]);

/** A Mach-O's reading: its {@link BinaryInfo} and its code-signature findings. */
export interface MachoAnalysis {
  readonly binary: BinaryInfo;
  readonly findings: Finding[];
}

interface Slice {
  readonly cpu: string;
  readonly executable: boolean;
  readonly version?: string;
  readonly name?: string;
  readonly imports: readonly string[];
  readonly sections: readonly SectionInfo[];
  readonly end: number;
  readonly signature: SignatureInfo;
  readonly problems: readonly { id: string; severity: Severity; why: string; evidence: Evidence }[];
}

/**
 * Parses a thin or fat Mach-O.
 * @throws ScanFormatError `SCAN_BAD_MACHO`; ScanLimitError `SCAN_LIMIT_MACHO_*`.
 */
export function analyzeMacho(bytes: Uint8Array, file: string): MachoAnalysis {
  const r: ByteReader = new ByteReader(bytes, "SCAN_BAD_MACHO", file, false);
  const magic = r.u32(0, "the magic");
  let slices: Slice[];
  let end: number;
  if (magic === 0xcafebabe || magic === FAT_MAGIC_64) {
    const is64 = magic === FAT_MAGIC_64;
    const count = r.u32(4, "nfat_arch");
    if (count > BINARY_LIMITS.machoArchitectures) {
      throw new ScanLimitError(
        "SCAN_LIMIT_MACHO_ARCHITECTURES",
        `${file}: ${count} architectures`,
        BINARY_LIMITS.machoArchitectures,
      );
    }
    const entry = is64 ? 32 : 20;
    const headerEnd = 8 + count * entry;
    slices = [];
    end = headerEnd;
    for (let i = 0; i < count; i++) {
      const at = 8 + i * entry;
      const offset = is64 ? r.u64(at + 8, "a fat_arch offset") : r.u32(at + 8, "a fat_arch offset");
      const size = is64 ? r.u64(at + 16, "a fat_arch size") : r.u32(at + 12, "a fat_arch size");
      if (offset < headerEnd) r.fail(`slice ${i} overlaps the fat header`, at);
      const slice = r.slice(offset, size, `slice ${i}`);
      slices.push(readThin(slice, offset, true));
      end = Math.max(end, offset + size);
    }
  } else {
    const slice = readThin(r, 0, false);
    slices = [slice];
    end = slice.end;
  }
  const first = slices[0];
  if (!first) r.fail("a fat file with no architectures");
  const overlay = end < bytes.length ? bytes.subarray(end) : undefined;
  const signed = slices.every((s) => s.signature.present);
  const binary: BinaryInfo = {
    format: "macho",
    executable: slices.some((s) => s.executable),
    ...(first.version ? { version: first.version } : {}),
    ...(first.name ? { name: first.name } : {}),
    imports: [...new Set(slices.flatMap((s) => s.imports))].sort(),
    sections: slices.flatMap((s) => s.sections),
    ...(overlay ? { overlay: { offset: end, size: overlay.length, entropy: entropy(overlay) } } : {}),
    signature: signed ? first.signature : { present: false },
  };
  const findings: Finding[] = slices.flatMap((s) =>
    s.problems.map((p) => ({
      id: `signature.macho.${p.id}`,
      severity: p.severity,
      layer: "signature" as const,
      file,
      why: slices.length > 1 ? `${s.cpu}: ${p.why}` : p.why,
      evidence: { ...p.evidence, architecture: s.cpu },
    })),
  );
  return { binary, findings };
}

function readThin(outer: ByteReader, base: number, inFat: boolean): Slice {
  const le = outer.u32(0, "the Mach-O magic") === 0xcefaedfe || outer.u32(0) === 0xcffaedfe;
  const r = outer.withEndian(le);
  const magic = r.u32(0);
  if (magic !== 0xfeedface && magic !== 0xfeedfacf) r.fail(`a slice without a Mach-O magic (0x${magic.toString(16)})`);
  const is64 = magic === 0xfeedfacf;
  const cpuType = r.u32(4, "cputype");
  const cpu = CPU_NAMES.get(cpuType) ?? `cpu${cpuType}`;
  const fileType = r.u32(12, "filetype");
  const ncmds = r.u32(16, "ncmds");
  const sizeofcmds = r.u32(20, "sizeofcmds");
  if (ncmds > BINARY_LIMITS.machoLoadCommands) {
    throw new ScanLimitError(
      "SCAN_LIMIT_MACHO_COMMANDS",
      `${r.file}: ${ncmds} load commands`,
      BINARY_LIMITS.machoLoadCommands,
    );
  }
  const headerSize = is64 ? 32 : 28;
  const commandsEnd = headerSize + sizeofcmds;
  r.need(headerSize, sizeofcmds, "the load commands");
  const imports = new Set<string>();
  const sections: SectionInfo[] = [];
  let end = commandsEnd;
  let version: string | undefined;
  let name: string | undefined;
  let codeSignature: { offset: number; size: number } | undefined;
  let at = headerSize;
  for (let i = 0; i < ncmds; i++) {
    const cmd = r.u32(at, "a load command");
    const size = r.u32(at + 4, "a load command");
    if (size < 8 || size % 4 !== 0 || at + size > commandsEnd)
      r.fail(`load command ${i} has a bad size ${size}`, base + at);
    if (cmd === LC.segment || cmd === LC.segment64) {
      const wide = cmd === LC.segment64;
      const fileoff = wide ? r.u64(at + 40) : r.u32(at + 32);
      const filesize = wide ? r.u64(at + 48) : r.u32(at + 36);
      const nsects = r.u32(at + (wide ? 64 : 48));
      const sectSize = wide ? 80 : 68;
      const first = at + (wide ? 72 : 56);
      if (first + nsects * sectSize > at + size)
        r.fail(`segment command ${i} claims ${nsects} sections that do not fit`, base + at);
      if (sections.length + nsects > BINARY_LIMITS.machoSections) {
        throw new ScanLimitError(
          "SCAN_LIMIT_MACHO_SECTIONS",
          `${r.file}: more than ${BINARY_LIMITS.machoSections} sections`,
          BINARY_LIMITS.machoSections,
        );
      }
      if (filesize > 0) {
        r.need(fileoff, filesize, `segment ${r.fixedString(at + 8, 16, "a segment name")}`);
        end = Math.max(end, fileoff + filesize);
      }
      for (let s = 0; s < nsects; s++) {
        const h = first + s * sectSize;
        const flags = r.u32(h + (wide ? 64 : 56));
        const offset = r.u32(h + (wide ? 48 : 40));
        const sectionSize = ZEROFILL.has(flags & 0xff) ? 0 : wide ? r.u64(h + 40) : r.u32(h + 36);
        const data = r.bytesAt(offset, sectionSize, "section data");
        const label = `${r.fixedString(h + 16, 16, "a segment name")},${r.fixedString(h, 16, "a section name")}`;
        sections.push({
          name: inFat ? `${cpu}:${label}` : label,
          offset: base + offset,
          size: sectionSize,
          entropy: entropy(data),
          executable: (flags & 0x80000400) !== 0,
        });
      }
    } else if (LOAD_DYLIB.has(cmd) || cmd === LC.idDylib) {
      const nameOffset = r.u32(at + 8, "a dylib name offset");
      if (nameOffset < 24 || nameOffset >= size)
        r.fail(`dylib command ${i} has its name outside the command`, base + at);
      const dylib = r.cString(at + nameOffset, "a dylib name", size - nameOffset);
      if (cmd === LC.idDylib) {
        name = dylib;
        const v = r.u32(at + 16);
        version = `${v >>> 16}.${(v >>> 8) & 0xff}.${v & 0xff}`;
      } else {
        imports.add(`dylib:${dylib}`);
      }
    } else if (cmd === LC.codeSignature) {
      codeSignature = { offset: r.u32(at + 8, "LC_CODE_SIGNATURE"), size: r.u32(at + 12, "LC_CODE_SIGNATURE") };
    }
    at += size;
  }
  const executable = fileType === MH_EXECUTE;
  const problems: Slice["problems"][number][] = [];
  let signature: SignatureInfo = { present: false };
  if (!codeSignature) {
    problems.push(
      executable
        ? {
            id: "unsigned-executable",
            severity: "medium",
            why: "the executable has no code signature (LC_CODE_SIGNATURE)",
            evidence: {},
          }
        : {
            id: "unsigned",
            severity: "info",
            why: "the library has no code signature (LC_CODE_SIGNATURE)",
            evidence: {},
          },
    );
  } else if (!r.has(codeSignature.offset, codeSignature.size)) {
    problems.push({
      id: "signature-malformed",
      severity: "high",
      why: "LC_CODE_SIGNATURE points outside the file",
      evidence: { signatureOffset: base + codeSignature.offset, signatureSize: codeSignature.size },
    });
  } else {
    end = Math.max(end, codeSignature.offset + codeSignature.size);
    const read = readCodeSignature(r.slice(codeSignature.offset, codeSignature.size, "the code signature"));
    if ("problem" in read) {
      problems.push({
        id: "signature-malformed",
        severity: "high",
        why: read.problem,
        evidence: { signatureOffset: base + codeSignature.offset },
      });
    } else {
      signature = read.info;
      if (read.info.adhoc) {
        problems.push({
          id: "adhoc-signature",
          severity: "low",
          why: "the code signature is ad-hoc: it names no Developer ID",
          evidence: { identity: read.info.signer ?? "" },
        });
      }
      const after = r.length - (codeSignature.offset + codeSignature.size);
      if (after > 0 && codeSignature.offset + codeSignature.size >= end) {
        problems.push({
          id: "data-after-signature",
          severity: "high",
          why: `${after} bytes follow the code signature; the signature does not cover them`,
          evidence: { overlayOffset: base + codeSignature.offset + codeSignature.size, overlaySize: after },
        });
      }
    }
  }
  return {
    cpu,
    executable,
    ...(version ? { version } : {}),
    ...(name ? { name } : {}),
    imports: [...imports],
    sections,
    end: base + end,
    signature,
    problems,
  };
}

function readCodeSignature(blob: ByteReader): { info: SignatureInfo } | { problem: string } {
  const r = blob.withEndian(false);
  if (!r.has(0, 12) || r.u32(0) !== CSMAGIC.embedded)
    return { problem: "the code signature is not an embedded-signature superblock" };
  const count = r.u32(8);
  if (count > BINARY_LIMITS.machoSignatureBlobs) return { problem: `the code signature has ${count} blobs` };
  let identity: string | undefined;
  let teamId: string | undefined;
  let adhocFlag = false;
  let cms = false;
  for (let i = 0; i < count; i++) {
    if (!r.has(12 + i * 8, 8)) return { problem: "the code signature index runs past the blob" };
    const type = r.u32(12 + i * 8);
    const offset = r.u32(16 + i * 8);
    if (!r.has(offset, 8)) return { problem: `code signature blob ${i} lies outside the signature` };
    const magic = r.u32(offset);
    const length = r.u32(offset + 4);
    if (length < 8 || !r.has(offset, length)) return { problem: `code signature blob ${i} has a bad length` };
    if (magic === CSMAGIC.codeDirectory && identity === undefined) {
      const cd = r.slice(offset, length, "the CodeDirectory");
      if (!cd.has(0, 44)) return { problem: "the CodeDirectory is truncated" };
      const version = cd.u32(8);
      adhocFlag = (cd.u32(12) & CS_ADHOC) !== 0;
      const identOffset = cd.u32(20);
      if (!cd.has(identOffset, 1)) return { problem: "the CodeDirectory identifier lies outside it" };
      identity = cd.cString(identOffset, "the signing identifier", BINARY_LIMITS.nameBytes);
      if (version >= 0x20200 && cd.has(48, 4)) {
        const teamOffset = cd.u32(48);
        if (teamOffset !== 0 && cd.has(teamOffset, 1))
          teamId = cd.cString(teamOffset, "the team identifier", BINARY_LIMITS.nameBytes);
      }
    } else if (type === 0x10000 && magic === CSMAGIC.blobWrapper && length > 8) {
      cms = true;
    }
  }
  if (identity === undefined) return { problem: "the code signature has no CodeDirectory" };
  const adhoc = adhocFlag || !cms;
  return {
    info: {
      present: true,
      signer: teamId ? `${identity} (team ${teamId})` : identity,
      ...(teamId ? { teamId } : {}),
      adhoc,
    },
  };
}
