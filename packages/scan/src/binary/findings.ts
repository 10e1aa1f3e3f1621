/**
 * Every finding id the binary layer emits, with what it means and what to do: the help text of
 * a SARIF rule and the entry of the docs' finding table. Ids are stable; a new kind of problem
 * gets a new id here.
 */
export const BINARY_FINDINGS: ReadonlyMap<string, string> = new Map([
  [
    "signature.pe.unsigned",
    "The PE has no Authenticode signature. Normal for many bundled DLLs; compare with the previous release.",
  ],
  [
    "signature.pe.digest-mismatch",
    "The file's Authenticode digest differs from the signed one: it was changed after signing. Do not ship it; rebuild and re-sign.",
  ],
  [
    "signature.pe.signer-signature-invalid",
    "The signer's signature over the signed attributes does not hold (wrong key, tampered signature or attributes). Treat the file as unsigned and find out who altered it.",
  ],
  [
    "signature.pe.signature-algorithm-unsupported",
    "The signer uses an algorithm this scan does not verify (RSA-PSS). Verify with signtool or osslsigncode.",
  ],
  [
    "signature.pe.pkcs7-malformed",
    "The certificate table holds something that is not a readable Authenticode PKCS#7 SignedData.",
  ],
  [
    "signature.pe.cert-table-appended-data",
    "Data follows the PKCS#7 blob inside the certificate table (CVE-2013-3900): Windows still calls the file validly signed, and the 3CX attack hid its encrypted payload there. Compare with the vendor's original file; legitimate uses are rare (installer tagging).",
  ],
  [
    "signature.pe.overlay-after-cert-table",
    "Bytes follow the certificate table; no signature covers them. Find out what they are before shipping.",
  ],
  [
    "signature.pe.cert-table-not-last",
    "The certificate table starts inside the image instead of after it: a structure built to confuse readers.",
  ],
  ["signature.pe.cert-entry-malformed", "A WIN_CERTIFICATE entry has an impossible length, revision or type."],
  [
    "signature.pe.cert-table-outside-file",
    "The security directory points outside the file: a truncated or tampered signed file.",
  ],
  ["signature.pe.cert-table-misaligned", "The certificate table is not 8-byte aligned as the PE format requires."],
  [
    "signature.macho.unsigned-executable",
    "A Mach-O executable without a code signature: macOS will not run it under Gatekeeper; was it re-linked after signing?",
  ],
  ["signature.macho.unsigned", "A Mach-O library without a code signature."],
  ["signature.macho.adhoc-signature", "The Mach-O is ad-hoc signed: a CodeDirectory without a Developer ID signature."],
  [
    "signature.macho.signature-malformed",
    "LC_CODE_SIGNATURE points at something that is not a valid code-signature superblock.",
  ],
  [
    "signature.macho.data-after-signature",
    "Bytes follow the Mach-O code signature; the signature does not cover them.",
  ],
  [
    "signature.binary.signature-removed",
    "The binary was signed in the previous release and is not now: a rebuilt or replaced file.",
  ],
  [
    "signature.binary.signer-changed",
    "The binary is signed by someone else than in the previous release: confirm the vendor changed certificates.",
  ],
  ["diff.binary.format-changed", "The file changed binary format (for example PE to ELF) between releases."],
  [
    "diff.binary.version-unchanged",
    "The binary's bytes changed while its own version did not: a silent rebuild or a patched file (the 3CX ffmpeg.dll). Ask why it changed.",
  ],
  ["diff.binary.became-executable", "A library became an executable between releases."],
  ["diff.binary.name-changed", "The binary's own name (OriginalFilename, DT_SONAME, LC_ID_DYLIB) changed."],
  [
    "diff.binary.loader-import-added",
    "The binary gained run-time code loading (LoadLibrary/GetProcAddress, dlopen/dlsym): how a trojanised library loads its next stage.",
  ],
  [
    "diff.binary.imports-added",
    "The binary imports new functions or libraries; high when they start processes, touch other processes' memory or talk to the network.",
  ],
  ["diff.binary.imports-removed", "The binary no longer imports some functions or libraries."],
  ["diff.binary.section-added", "The binary has a new section; medium when it is executable."],
  [
    "diff.binary.section-entropy-jump",
    "A section's entropy moved by a bit per byte or more: new packed, compressed or encrypted content.",
  ],
  [
    "diff.binary.overlay-added",
    "Bytes now follow the image (an overlay); high when they look compressed or encrypted.",
  ],
  ["diff.binary.overlay-entropy-jump", "The overlay's entropy moved by a bit per byte or more."],
]);
