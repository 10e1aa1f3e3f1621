import { FieldReader, NO_FIELDS, objectFromMap, type Unrecognized, withOrder, withUnrecognized } from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";
import { validateHashes, verifyHashes, verifyLength } from "./hashes.js";

/** An entry of `meta` in timestamp and snapshot: a role's version, and optionally length and hashes. */
export class MetaFile {
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  constructor(
    public version: number,
    public length?: number,
    public hashes?: Map<string, string>,
    public unrecognized: Unrecognized = NO_FIELDS,
  ) {}

  /** @throws {MetadataFormatError} */
  static fromJSON(value: JsonValue | undefined, where: string, level = 4): MetaFile {
    const r = FieldReader.of(value, where, level);
    const version = r.integer("version", 1);
    const length = r.has("length") ? r.integer("length") : undefined;
    let hashes: Map<string, string> | undefined;
    if (r.has("hashes")) {
      hashes = r.stringMap("hashes");
      validateHashes(hashes, where);
    }
    return withOrder(new MetaFile(version, length, hashes, r.rest()), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["version", this.version],
        ["length", this.length],
        ["hashes", this.hashes === undefined ? undefined : objectFromMap(this.hashes, (h) => h)],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }

  /**
   * Verifies the length and hashes, where the metadata lists them (spec 5.5.2, 5.6.2).
   * @throws {LengthOrHashMismatchError}
   */
  verifyLengthAndHashes(data: Uint8Array, what: string): void {
    if (this.length !== undefined) verifyLength(data, this.length, what);
    if (this.hashes !== undefined) verifyHashes(data, this.hashes, what);
  }
}
