/**
 * Bounds of the binary readers. Every table walk stops at one of these, so a hostile file
 * costs bounded time and memory; going over a bound is a {@link ScanLimitError}
 * (`SCAN_LIMIT_<WHAT>`), never a silent truncation.
 */
export const BINARY_LIMITS = {
  /** PE sections (the PE/COFF specification caps NumberOfSections at 96). */
  peSections: 96,
  /** Import (or delay-import) descriptors of one PE. */
  peImportDescriptors: 4096,
  /** Imported functions of one PE, all DLLs together. */
  peImportedFunctions: 100_000,
  /** Resource directory entries visited while looking for the version resource. */
  peResourceEntries: 4096,
  /** Bytes of one VS_VERSIONINFO resource. */
  peVersionResourceBytes: 64 * 1024,
  /** Nodes of one VS_VERSIONINFO tree. */
  peVersionNodes: 1024,
  /** WIN_CERTIFICATE entries in the certificate table. */
  peCertificates: 16,
  /** Bytes of one PKCS#7 blob handed to the ASN.1 parser. */
  pkcs7Bytes: 1024 * 1024,
  /** ELF section headers. */
  elfSections: 4096,
  /** ELF program headers. */
  elfSegments: 1024,
  /** ELF dynamic entries. */
  elfDynamicEntries: 65_536,
  /** ELF dynamic symbols. */
  elfSymbols: 262_144,
  /** Mach-O load commands of one slice. */
  machoLoadCommands: 4096,
  /** Mach-O sections of one slice. */
  machoSections: 4096,
  /** Architectures of a fat (universal) Mach-O. */
  machoArchitectures: 32,
  /** Blobs in a code-signature superblock. */
  machoSignatureBlobs: 64,
  /** Bytes of one name read from a string table. */
  nameBytes: 4096,
} as const;
