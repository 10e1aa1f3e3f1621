/**
 * Strings in a file, as `strings(1)` finds them: runs of printable ASCII, and runs of
 * UTF-16LE ASCII (how Windows binaries keep their text). The whole file is read once as
 * latin1 so the regular expressions run natively over it.
 */

/** Shortest run counted as a string. */
export const MIN_STRING_LENGTH = 6;

const UTF16_RUN = new RegExp(`(?:[\\x20-\\x7e]\\x00){${MIN_STRING_LENGTH},}`, "g");

/** The file as one latin1 string: each byte one character, so ASCII runs read as themselves. */
export function asciiView(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** The UTF-16LE runs of printable ASCII in `view` (from {@link asciiView}) starting in [`from`, `to`), decoded. */
export function* utf16Runs(view: string, from = 0, to = view.length): Generator<string> {
  UTF16_RUN.lastIndex = from;
  for (let m = UTF16_RUN.exec(view); m !== null && m.index < to; m = UTF16_RUN.exec(view)) {
    yield m[0].replaceAll("\x00", "");
  }
}
