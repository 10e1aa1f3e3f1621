import { FieldReader, objectFromMap, withOrder, withUnrecognized } from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";
import { MetaFile } from "./meta-file.js";
import { type CommonFields, type ParseOptions, readCommonFields, Signed } from "./signed.js";

/** The snapshot role's `signed` object (spec §4.4): the versions of every targets role. */
export class Snapshot extends Signed {
  readonly type = "snapshot";
  /** Keyed by file name: `targets.json`, `<delegated role>.json`. */
  meta: Map<string, MetaFile>;

  constructor(init: Partial<CommonFields> & { meta?: Map<string, MetaFile> } = {}) {
    super(init);
    this.meta = init.meta ?? new Map([["targets.json", new MetaFile(1)]]);
  }

  /** @throws {MetadataFormatError} */
  static fromJSON(
    value: JsonValue | undefined,
    options: ParseOptions = {},
    where = "snapshot.signed",
    level = 2,
  ): Snapshot {
    const r = FieldReader.of(value, where, level);
    const common = readCommonFields(r, "snapshot", options);
    const meta = new Map<string, MetaFile>();
    for (const [name, m] of Object.entries(r.object("meta"))) {
      meta.set(name, MetaFile.fromJSON(m, `${where}.meta[${JSON.stringify(name)}]`, level + 2));
    }
    return withOrder(new Snapshot({ ...common, meta, unrecognized: r.rest() }), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [...this.commonJSON(), ["meta", objectFromMap(this.meta, (m) => m.toJSON())]],
      this.unrecognized,
      this.keyOrder,
    );
  }
}
