/**
 * Attestation bundles: the in-toto JSON Lines file published beside a release file as the
 * target `<path>.intoto.jsonl`, one compact DSSE envelope per line. Written at publish
 * (the envelopes that counted for the builder quorum), read at install.
 */

/** The target path of a release file's attestation bundle (in-toto JSON Lines). */
export function attestationBundlePath(targetPath: string): string {
  return `${targetPath}.intoto.jsonl`;
}

/** The envelopes of an attestation bundle: one JSON envelope per line, blank lines skipped. */
export function splitAttestationBundle(bytes: Uint8Array): Buffer[] {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lines: Buffer[] = [];
  let start = 0;
  while (start <= data.length) {
    let end = data.indexOf(0x0a, start);
    if (end === -1) end = data.length;
    let line = data.subarray(start, end);
    if (line.at(-1) === 0x0d) line = line.subarray(0, -1);
    if (line.some((b) => b !== 0x20 && b !== 0x09)) lines.push(line);
    start = end + 1;
  }
  return lines;
}

/** An attestation bundle: each envelope (compact JSON, no newline) on its own line. */
export function formatAttestationBundle(envelopes: readonly Uint8Array[]): Buffer {
  return Buffer.concat(envelopes.flatMap((e) => [Buffer.from(e), Buffer.from("\n")]));
}
