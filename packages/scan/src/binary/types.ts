/** What the binary readers report about one file. */
import type { BinaryFormat } from "./sniff.js";

export type { BinaryFormat };

/** One section (PE section, ELF section, Mach-O section) with its raw bytes' entropy. */
export interface SectionInfo {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** Bits per byte, 0..8. */
  readonly entropy: number;
  readonly executable: boolean;
}

/** The code signature of a binary. */
export interface SignatureInfo {
  readonly present: boolean;
  /** PE: the signer certificate's subject; Mach-O: the signing identity (and team id). */
  readonly signer?: string;
  /** PE: whether the Authenticode digest matches the file; undefined when not checked/unsigned. */
  readonly digestValid?: boolean;
  /** PE: whether the signer's signature over the signed attributes holds; undefined when not checked. */
  readonly signatureValid?: boolean;
  /** PE: the signer certificate's issuer. */
  readonly issuer?: string;
  /** PE: the signer certificate's serial number, lowercase hex. */
  readonly serial?: string;
  /** Mach-O: the Developer ID team identifier, when the CodeDirectory names one. */
  readonly teamId?: string;
  /** Mach-O: ad-hoc signed (a CodeDirectory but no CMS signature blob). */
  readonly adhoc?: boolean;
}

/** A parsed binary: what it is, what it imports, how its bytes look, how it is signed. */
export interface BinaryInfo {
  readonly format: BinaryFormat;
  /** An .exe / ELF ET_EXEC or PIE / Mach-O MH_EXECUTE, as against a library. */
  readonly executable: boolean;
  /**
   * PE: version resource FileVersion (else ProductVersion, else the fixed file version);
   * ELF: the version in the soname (libfoo.so.1.2.3 → 1.2.3); Mach-O: LC_ID_DYLIB current_version.
   */
  readonly version?: string;
  /** PE: OriginalFilename, else InternalName; ELF: DT_SONAME; Mach-O: the LC_ID_DYLIB name. */
  readonly name?: string;
  /**
   * Normalised import strings, sorted, unique: PE `kernel32.dll!LoadLibraryW` (DLL lower-case,
   * ordinals `#12`, delay-load imports included); ELF `needed:libc.so.6` and `sym:dlopen`
   * (undefined dynamic symbols); Mach-O `dylib:/usr/lib/libSystem.B.dylib`.
   */
  readonly imports: readonly string[];
  readonly sections: readonly SectionInfo[];
  /** Bytes after the image that the loader does not map (PE: not counting the certificate table). */
  readonly overlay?: { readonly offset: number; readonly size: number; readonly entropy: number };
  readonly signature: SignatureInfo;
}
