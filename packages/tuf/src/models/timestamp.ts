import { MetadataFormatError } from "../errors.js";
import { FieldReader, objectFromMap, withOrder, withUnrecognized } from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";
import { MetaFile } from "./meta-file.js";
import { type CommonFields, type ParseOptions, readCommonFields, Signed } from "./signed.js";

/** The timestamp role's `signed` object (spec §4.6): which snapshot is current. */
export class Timestamp extends Signed {
  readonly type = "timestamp";
  snapshotMeta: MetaFile;

  constructor(init: Partial<CommonFields> & { snapshotMeta?: MetaFile } = {}) {
    super(init);
    this.snapshotMeta = init.snapshotMeta ?? new MetaFile(1);
  }

  /** @throws {MetadataFormatError} */
  static fromJSON(
    value: JsonValue | undefined,
    options: ParseOptions = {},
    where = "timestamp.signed",
    level = 2,
  ): Timestamp {
    const r = FieldReader.of(value, where, level);
    const common = readCommonFields(r, "timestamp", options);
    const meta = r.object("meta");
    if (!Object.hasOwn(meta, "snapshot.json") || Object.keys(meta).length !== 1) {
      throw new MetadataFormatError(`${where}.meta must hold exactly one entry, "snapshot.json"`);
    }
    const snapshotMeta = MetaFile.fromJSON(meta["snapshot.json"], `${where}.meta["snapshot.json"]`, level + 2);
    return withOrder(new Timestamp({ ...common, snapshotMeta, unrecognized: r.rest() }), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ...this.commonJSON(),
        ["meta", objectFromMap(new Map([["snapshot.json", this.snapshotMeta]]), (m) => m.toJSON())],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }
}
