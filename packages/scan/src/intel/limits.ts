/** The bounds on intel and advisory input; each is a named default a caller may lower or raise. */
export interface IntelLimits {
  /** Files read from an intel or advisory directory (subdirectories included). */
  readonly maxFiles: number;
  /** Bytes of one intel file (and of one zip entry). */
  readonly maxFileBytes: number;
  /** Objects (STIX objects, MISP attributes, list lines, OSV records) in one file. */
  readonly maxObjectsPerFile: number;
  /** Indicators (or advisories) across every file. */
  readonly maxIndicators: number;
  /** Nesting of JSON arrays and objects. */
  readonly maxJsonDepth: number;
}

/** The defaults: a few million indicators and the largest public feeds fit; a hostile file does not. */
export const DEFAULT_INTEL_LIMITS: IntelLimits = {
  maxFiles: 100_000,
  maxFileBytes: 256 * 1024 * 1024,
  maxObjectsPerFile: 2_000_000,
  maxIndicators: 5_000_000,
  maxJsonDepth: 64,
};
