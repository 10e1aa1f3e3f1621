import { FieldReader, objectFromMap, withUnrecognized } from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";
import { Delegations } from "./delegations.js";
import { type CommonFields, type ParseOptions, readCommonFields, Signed } from "./signed.js";
import { TargetFile } from "./target-file.js";

/** A targets role's `signed` object (spec §4.5): target files and delegations. */
export class Targets extends Signed {
  readonly type = "targets";
  targets: Map<string, TargetFile>;
  delegations: Delegations | undefined;

  constructor(
    init: Partial<CommonFields> & { targets?: Map<string, TargetFile>; delegations?: Delegations | undefined } = {},
  ) {
    super(init);
    this.targets = init.targets ?? new Map();
    this.delegations = init.delegations;
  }

  /** @throws {MetadataFormatError} */
  static fromJSON(value: JsonValue | undefined, options: ParseOptions = {}, where = "targets.signed"): Targets {
    const r = FieldReader.of(value, where);
    const common = readCommonFields(r, "targets", options);
    const targets = new Map<string, TargetFile>();
    const obj = r.object("targets");
    for (const path of Object.keys(obj)) {
      targets.set(path, TargetFile.fromJSON(path, obj[path], `${where}.targets[${JSON.stringify(path)}]`));
    }
    const delegations = r.has("delegations")
      ? Delegations.fromJSON(r.raw("delegations"), `${where}.delegations`)
      : undefined;
    return new Targets({ ...common, targets, delegations, unrecognized: r.rest() });
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ...this.commonJSON(),
        ["targets", objectFromMap(this.targets, (t) => t.toJSON())],
        ["delegations", this.delegations?.toJSON()],
      ],
      this.unrecognized,
    );
  }

  /** Adds or replaces a target entry. */
  addTarget(target: TargetFile): void {
    this.targets.set(target.path, target);
  }

  /** Removes a target entry; returns whether it was there. */
  removeTarget(path: string): boolean {
    return this.targets.delete(path);
  }
}
