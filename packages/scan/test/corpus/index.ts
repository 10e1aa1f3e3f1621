/**
 * The scan's test corpus: real PE and ELF files written by code (and signed with throwaway
 * keys), for the binary readers' tests and the pipeline's.
 */
export { type ElfSectionSpec, type WriteElfOptions, writeElf } from "./elf-writer.js";
export { type MachoSectionSpec, type WriteMachoOptions, writeFat, writeMacho } from "./macho-writer.js";
export {
  type PeImportSpec,
  type PeSectionSpec,
  type PeVersionStrings,
  type WritePeOptions,
  writePe,
} from "./pe-writer.js";
export { makeSigningIdentity, type PeSigning, type SigningIdentity } from "./signing.js";
