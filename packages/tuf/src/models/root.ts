import { MetadataFormatError } from "../errors.js";
import { FieldReader, objectFromMap, withOrder, withUnrecognized } from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";
import { Key } from "../keys.js";
import { TOP_LEVEL_ROLE_NAMES, type TopLevelRoleName } from "../spec.js";
import { Role } from "./role.js";
import { type CommonFields, type ParseOptions, readCommonFields, Signed } from "./signed.js";

/** The root role's `signed` object (spec §4.3): the keys and thresholds of the top-level roles. */
export class Root extends Signed {
  readonly type = "root";
  keys: Map<string, Key>;
  roles: Map<TopLevelRoleName, Role>;
  /** Absent in some metadata; absent means false. */
  consistentSnapshot: boolean | undefined;

  constructor(
    init: Partial<CommonFields> & {
      keys?: Map<string, Key>;
      roles?: Map<TopLevelRoleName, Role>;
      consistentSnapshot?: boolean | undefined;
    } = {},
  ) {
    super(init);
    this.keys = init.keys ?? new Map();
    this.roles = init.roles ?? new Map(TOP_LEVEL_ROLE_NAMES.map((n) => [n, new Role([], 1)]));
    this.consistentSnapshot = "consistentSnapshot" in init ? init.consistentSnapshot : true;
  }

  /** @throws {MetadataFormatError} */
  static fromJSON(value: JsonValue | undefined, options: ParseOptions = {}, where = "root.signed", level = 2): Root {
    const r = FieldReader.of(value, where, level);
    const common = readCommonFields(r, "root", options);
    const consistentSnapshot = r.has("consistent_snapshot") ? r.boolean("consistent_snapshot") : undefined;
    const keys = new Map<string, Key>();
    for (const [id, k] of Object.entries(r.object("keys"))) {
      keys.set(id, Key.fromJSON(k, `${where}.keys[${JSON.stringify(id)}]`, level + 2));
    }
    const rolesObj = r.object("roles");
    const names = Object.keys(rolesObj);
    if (names.length !== TOP_LEVEL_ROLE_NAMES.length || !TOP_LEVEL_ROLE_NAMES.every((n) => names.includes(n))) {
      throw new MetadataFormatError(
        `${where}.roles must list exactly root, timestamp, snapshot and targets, got ${names.join(", ")}`,
      );
    }
    const roles = new Map<TopLevelRoleName, Role>();
    for (const name of names as TopLevelRoleName[]) {
      roles.set(name, Role.fromJSON(rolesObj[name], `${where}.roles.${name}`, level + 2));
    }
    return withOrder(new Root({ ...common, keys, roles, consistentSnapshot, unrecognized: r.rest() }), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ...this.commonJSON(),
        ["consistent_snapshot", this.consistentSnapshot],
        ["keys", objectFromMap(this.keys, (k) => k.toJSON())],
        ["roles", objectFromMap(this.roles, (role) => role.toJSON())],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }

  /** The role entry for a top-level role. */
  role(name: TopLevelRoleName): Role {
    const role = this.roles.get(name);
    if (role === undefined) throw new MetadataFormatError(`root does not define the ${name} role`);
    return role;
  }

  /** Adds `key` (under `keyId`) to a top-level role. */
  addKey(key: Key, role: TopLevelRoleName, keyId = key.computeKeyId()): void {
    const entry = this.role(role);
    if (!entry.keyids.includes(keyId)) entry.keyids.push(keyId);
    this.keys.set(keyId, key);
  }

  /** Removes a key from a role, and from `keys` when no other role uses it. */
  revokeKey(keyId: string, role: TopLevelRoleName): void {
    const entry = this.role(role);
    entry.keyids = entry.keyids.filter((id) => id !== keyId);
    if (![...this.roles.values()].some((r) => r.keyids.includes(keyId))) this.keys.delete(keyId);
  }
}
