import { FieldReader, isJsonObject, objectFromMap, type Unrecognized, withUnrecognized } from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";
import { computeHashes, validateHashes, verifyHashes, verifyLength } from "./hashes.js";

/** An entry of targets' `targets`: a target file's length, hashes and custom data (spec §4.5). */
export class TargetFile {
  constructor(
    /** The target path, the key under which the entry is listed. */
    readonly path: string,
    public length: number,
    public hashes: Map<string, string>,
    /** Other fields, `custom` included. */
    public unrecognized: Unrecognized = {},
  ) {}

  /** @throws {MetadataFormatError} */
  static fromJSON(path: string, value: JsonValue | undefined, where: string): TargetFile {
    const r = FieldReader.of(value, where);
    const length = r.integer("length");
    const hashes = r.stringMap("hashes");
    validateHashes(hashes, where);
    return new TargetFile(path, length, hashes, r.rest());
  }

  /** Describes `data` as the target `path`, with sha256 (and any other `algorithms`). */
  static fromData(path: string, data: Uint8Array, algorithms: readonly string[] = ["sha256"]): TargetFile {
    return new TargetFile(path, data.length, computeHashes(data, algorithms));
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["length", this.length],
        ["hashes", objectFromMap(this.hashes, (h) => h)],
      ],
      this.unrecognized,
    );
  }

  /** The opaque `custom` object, when there is one. */
  get custom(): JsonObject | undefined {
    const c = Object.hasOwn(this.unrecognized, "custom") ? this.unrecognized.custom : undefined;
    return isJsonObject(c) ? c : undefined;
  }

  set custom(value: JsonObject | undefined) {
    const rest: Record<string, JsonValue> = { ...this.unrecognized };
    delete rest.custom;
    this.unrecognized = value === undefined ? rest : { ...rest, custom: value };
  }

  /** @throws {LengthOrHashMismatchError} */
  verifyLengthAndHashes(data: Uint8Array): void {
    verifyLength(data, this.length, `target ${JSON.stringify(this.path)}`);
    verifyHashes(data, this.hashes, `target ${JSON.stringify(this.path)}`);
  }
}
