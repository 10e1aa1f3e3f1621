import { createHash } from "node:crypto";
import { MetadataFormatError } from "../errors.js";
import { FieldReader, NO_FIELDS, objectFromMap, type Unrecognized, withOrder, withUnrecognized } from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";
import { Key } from "../keys.js";
import { TOP_LEVEL_ROLE_NAMES } from "../spec.js";
import { matchesPathPattern } from "./path-pattern.js";
import { readKeyIdsAndThreshold } from "./role.js";

/** A delegated role (spec §4.5 `delegations.roles[]`). */
export class DelegatedRole {
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  constructor(
    public name: string,
    public keyids: string[],
    public threshold: number,
    public terminating: boolean,
    /** Exactly one of `paths` and `pathHashPrefixes` is set. */
    public paths?: string[],
    public pathHashPrefixes?: string[],
    public unrecognized: Unrecognized = NO_FIELDS,
  ) {
    if ((paths === undefined) === (pathHashPrefixes === undefined)) {
      throw new MetadataFormatError(
        `delegated role ${JSON.stringify(name)} must have exactly one of paths and path_hash_prefixes`,
      );
    }
  }

  /** @throws {MetadataFormatError} */
  static fromJSON(value: JsonValue | undefined, where: string, level = 5): DelegatedRole {
    const r = FieldReader.of(value, where, level);
    const name = r.string("name");
    const { keyids, threshold } = readKeyIdsAndThreshold(r);
    const terminating = r.boolean("terminating");
    const paths = r.has("paths") ? [...r.stringArray("paths")] : undefined;
    const prefixes = r.has("path_hash_prefixes") ? [...r.stringArray("path_hash_prefixes")] : undefined;
    return withOrder(new DelegatedRole(name, keyids, threshold, terminating, paths, prefixes, r.rest()), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["name", this.name],
        ["keyids", [...this.keyids]],
        ["threshold", this.threshold],
        ["terminating", this.terminating],
        ["paths", this.paths === undefined ? undefined : [...this.paths]],
        ["path_hash_prefixes", this.pathHashPrefixes === undefined ? undefined : [...this.pathHashPrefixes]],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }

  /** True when this role is trusted for `targetPath` (spec 5.6.7.2). */
  isDelegatedPath(targetPath: string): boolean {
    if (this.paths !== undefined) return this.paths.some((p) => matchesPathPattern(targetPath, p));
    const digest = createHash("sha256").update(targetPath).digest("hex");
    return (this.pathHashPrefixes ?? []).some((prefix) => digest.startsWith(prefix));
  }
}

/** Hashed-bin delegation in a few bytes (TAP 15 `succinct_roles`). */
export class SuccinctRoles {
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  constructor(
    public keyids: string[],
    public threshold: number,
    public bitLength: number,
    public namePrefix: string,
    public unrecognized: Unrecognized = NO_FIELDS,
  ) {
    if (!Number.isInteger(bitLength) || bitLength < 1 || bitLength > 32) {
      throw new MetadataFormatError(`succinct_roles.bit_length must be between 1 and 32, got ${bitLength}`);
    }
  }

  /** @throws {MetadataFormatError} */
  static fromJSON(value: JsonValue | undefined, where: string, level = 4): SuccinctRoles {
    const r = FieldReader.of(value, where, level);
    const { keyids, threshold } = readKeyIdsAndThreshold(r);
    const bitLength = r.integer("bit_length", 1);
    const namePrefix = r.string("name_prefix");
    return withOrder(new SuccinctRoles(keyids, threshold, bitLength, namePrefix, r.rest()), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["keyids", [...this.keyids]],
        ["threshold", this.threshold],
        ["bit_length", this.bitLength],
        ["name_prefix", this.namePrefix],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }

  /** How many bins there are. */
  get numberOfBins(): number {
    return 2 ** this.bitLength;
  }

  private get suffixLength(): number {
    return Math.ceil(this.bitLength / 4);
  }

  /** The bin name for bin number `n`. */
  binName(n: number): string {
    return `${this.namePrefix}-${n.toString(16).padStart(this.suffixLength, "0")}`;
  }

  /** The bin responsible for `targetPath`. */
  roleForTarget(targetPath: string): string {
    const digest = createHash("sha256").update(targetPath).digest();
    const bin = digest.readUInt32BE(0) >>> (32 - this.bitLength);
    return this.binName(bin);
  }

  /** Every bin name, in order. */
  *roleNames(): Generator<string> {
    for (let i = 0; i < this.numberOfBins; i++) yield this.binName(i);
  }

  /** True when `name` is one of the bins. */
  isDelegatedRole(name: string): boolean {
    const prefix = `${this.namePrefix}-`;
    if (!name.startsWith(prefix)) return false;
    const suffix = name.slice(prefix.length);
    if (suffix.length !== this.suffixLength || !/^[0-9a-f]+$/.test(suffix)) return false;
    return Number.parseInt(suffix, 16) < this.numberOfBins;
  }
}

/** The `delegations` object of a targets role. */
export class Delegations {
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  constructor(
    public keys: Map<string, Key>,
    /** Ordered: the delegation walk visits them in this order. Exactly one of roles and succinctRoles. */
    public roles?: Map<string, DelegatedRole>,
    public succinctRoles?: SuccinctRoles,
    public unrecognized: Unrecognized = NO_FIELDS,
  ) {
    if ((roles === undefined) === (succinctRoles === undefined)) {
      throw new MetadataFormatError("delegations must have exactly one of roles and succinct_roles");
    }
  }

  /** @throws {MetadataFormatError} */
  static fromJSON(value: JsonValue | undefined, where: string, level = 3): Delegations {
    const r = FieldReader.of(value, where, level);
    const keys = new Map<string, Key>();
    for (const [id, k] of Object.entries(r.object("keys"))) {
      keys.set(id, Key.fromJSON(k, `${where}.keys[${JSON.stringify(id)}]`, level + 2));
    }
    let roles: Map<string, DelegatedRole> | undefined;
    if (r.has("roles")) {
      roles = new Map();
      for (const [i, role] of r.array("roles").entries()) {
        const parsed = DelegatedRole.fromJSON(role, `${where}.roles[${i}]`, level + 2);
        if (parsed.name === "" || (TOP_LEVEL_ROLE_NAMES as readonly string[]).includes(parsed.name)) {
          throw new MetadataFormatError(`${where}.roles[${i}].name must not be empty or a top-level role name`);
        }
        if (roles.has(parsed.name)) {
          throw new MetadataFormatError(`${where}.roles lists ${JSON.stringify(parsed.name)} twice`);
        }
        roles.set(parsed.name, parsed);
      }
    }
    const succinct = r.has("succinct_roles")
      ? SuccinctRoles.fromJSON(r.raw("succinct_roles"), `${where}.succinct_roles`, level + 1)
      : undefined;
    if (roles === undefined && succinct === undefined) {
      throw new MetadataFormatError(`${where} must have roles or succinct_roles`);
    }
    return withOrder(new Delegations(keys, roles, succinct, r.rest()), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["keys", objectFromMap(this.keys, (k) => k.toJSON())],
        ["roles", this.roles === undefined ? undefined : [...this.roles.values()].map((r) => r.toJSON())],
        ["succinct_roles", this.succinctRoles?.toJSON()],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }

  /**
   * The roles to consult for `targetPath`, in order, with their `terminating` flag
   * (spec 5.6.7.2). Succinct bins are never terminating: each path has exactly one bin.
   */
  *rolesForTarget(targetPath: string): Generator<{ name: string; terminating: boolean }> {
    if (this.roles !== undefined) {
      for (const role of this.roles.values()) {
        if (role.isDelegatedPath(targetPath)) yield { name: role.name, terminating: role.terminating };
      }
    } else if (this.succinctRoles !== undefined) {
      yield { name: this.succinctRoles.roleForTarget(targetPath), terminating: true };
    }
  }

  /** The keyids and threshold that sign role `name`, or undefined when not delegated here. */
  roleKeys(name: string): { keyids: string[]; threshold: number } | undefined {
    const role = this.roles?.get(name);
    if (role !== undefined) return role;
    if (this.succinctRoles?.isDelegatedRole(name)) return this.succinctRoles;
    return undefined;
  }
}
