import { MetadataFormatError } from "../errors.js";
import { FieldReader, NO_FIELDS, type Unrecognized, withOrder, withUnrecognized } from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";

/** Reads a role's `keyids` (unique) and `threshold` (at least 1). */
export function readKeyIdsAndThreshold(r: FieldReader): { keyids: string[]; threshold: number } {
  const keyids = r.stringArray("keyids");
  if (new Set(keyids).size !== keyids.length) {
    throw new MetadataFormatError(`${r.where}.keyids must not list a key ID twice`);
  }
  const threshold = r.integer("threshold", 1);
  return { keyids: [...keyids], threshold };
}

/** A top-level role entry in root's `roles`: which keys sign it, and how many must. */
export class Role {
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  constructor(
    public keyids: string[],
    public threshold: number,
    public unrecognized: Unrecognized = NO_FIELDS,
  ) {}

  /** @throws {MetadataFormatError} */
  static fromJSON(value: JsonValue | undefined, where: string, level = 4): Role {
    const r = FieldReader.of(value, where, level);
    const { keyids, threshold } = readKeyIdsAndThreshold(r);
    return withOrder(new Role(keyids, threshold, r.rest()), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["keyids", [...this.keyids]],
        ["threshold", this.threshold],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }
}
