/**
 * What the scan keeps of each file once its bytes are gone: hashes, size, entropy, the
 * network indicators in its strings, the npm module it declares, and (for a native binary)
 * what the binary reader found. Two inventories are what the release diff compares.
 */
import type { ArchiveKind } from "./archive/index.js";
import type { BinaryInfo } from "./binary/index.js";
import type { NpmModule } from "./diff/npm.js";
import type { NetworkIndicators } from "./intel/index.js";

/** One file of a release, as the scan keeps it. */
export interface FileRecord {
  readonly path: string;
  readonly size: number;
  /** Lowercase hex. */
  readonly sha256: string;
  readonly sha1?: string;
  readonly md5?: string;
  /** An execute bit in the archived or on-disk mode. */
  readonly modeExecutable: boolean;
  /** Bits per byte, 0..8. */
  readonly entropy: number;
  readonly archive?: ArchiveKind;
  readonly network: NetworkIndicators;
  /** Set for a `package.json` that declares a module. */
  readonly npm?: NpmModule;
  /** Set for a native binary (PE, ELF, Mach-O) the binary readers could parse. */
  readonly binary?: BinaryInfo;
}

/** A release as the scan saw it. */
export interface Inventory {
  /** By path. */
  readonly files: ReadonlyMap<string, FileRecord>;
}
