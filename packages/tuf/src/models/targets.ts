import { CanonicalText, type CanonicalValue, encodeString, SPECIAL, sortKeys } from "../canonical-json.js";
import { FieldReader, objectFromMap, withOrder, withUnrecognized } from "../fields.js";
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
  static fromJSON(
    value: JsonValue | undefined,
    options: ParseOptions = {},
    where = "targets.signed",
    level = 2,
  ): Targets {
    const r = FieldReader.of(value, where, level);
    const common = readCommonFields(r, "targets", options);
    const obj = r.object("targets");
    const targets = new Map<string, TargetFile>();
    const container = `${where}.targets`;
    for (const path of Object.keys(obj)) targets.set(path, TargetFile.fromJSON(path, obj[path], container, level + 2));
    const delegations = r.has("delegations")
      ? Delegations.fromJSON(r.raw("delegations"), `${where}.delegations`, level + 1)
      : undefined;
    return withOrder(new Targets({ ...common, targets, delegations, unrecognized: r.rest() }), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ...this.commonJSON(),
        ["targets", objectFromMap(this.targets, (t) => t.toJSON())],
        ["delegations", this.delegations?.toJSON()],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }

  /** Like {@link toJSON}, with the `targets` map encoded straight to canonical text. */
  override toCanonicalJSON(): CanonicalValue {
    const json: Record<string, CanonicalValue> = withUnrecognized(
      [...this.commonJSON(), ["targets", {}], ["delegations", this.delegations?.toJSON()]],
      this.unrecognized,
      this.keyOrder,
    );
    json.targets = new CanonicalText(`{${this.canonicalTargets()}}`);
    return json;
  }

  private canonicalTargets(): string {
    // Repositories usually list targets sorted (Bulwark's writer does): then one pass in
    // map order is canonical order. A path that needs escaping, may hold a surrogate (where
    // UTF-16 and code-point order differ) or is out of order sends it all to the sorting path.
    const parts: string[] = [];
    let previous = "";
    for (const [path, target] of this.targets) {
      if (SPECIAL.test(path) || (parts.length > 0 && !(previous < path))) return this.canonicalTargetsSorted();
      previous = path;
      parts.push(`"${path}":${target.canonicalText()}`);
    }
    return parts.join(",");
  }

  private canonicalTargetsSorted(): string {
    return sortKeys([...this.targets.keys()])
      .map((path) => `${encodeString(path)}:${(this.targets.get(path) as TargetFile).canonicalText()}`)
      .join(",");
  }

  /** Orders the targets map by path, as canonical JSON does, so signing takes one pass. */
  sortTargets(): void {
    const paths = [...this.targets.keys()];
    const sorted = sortKeys([...paths]);
    if (sorted.every((p, i) => p === paths[i])) return;
    this.targets = new Map(sorted.map((p) => [p, this.targets.get(p) as TargetFile]));
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
