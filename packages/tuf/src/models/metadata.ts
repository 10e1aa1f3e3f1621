import { canonicalize } from "../canonical-json.js";
import { FormatError, MetadataFormatError, UnsignedMetadataError, UsageError } from "../errors.js";
import { FieldReader, NO_FIELDS, type Unrecognized, withOrder, withUnrecognized } from "../fields.js";
import { type JsonObject, type JsonValue, parseJsonUncheckedDepth, stringifyJson } from "../json.js";
import type { Key } from "../keys.js";
import type { Signer } from "../signer.js";
import type { TopLevelRoleName } from "../spec.js";
import { joinCanonicalLayout, splitCanonicalLayout } from "./canonical-layout.js";
import { Root } from "./root.js";
import type { ParseOptions } from "./signed.js";
import { Snapshot } from "./snapshot.js";
import { Targets } from "./targets.js";
import { Timestamp } from "./timestamp.js";

/** One entry of a metadata file's `signatures`. */
export class Signature {
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  constructor(
    readonly keyid: string,
    /** Hex-encoded signature bytes. May be empty in metadata still being signed. */
    readonly sig: string,
    readonly unrecognized: Unrecognized = NO_FIELDS,
  ) {}

  /** @throws {MetadataFormatError} */
  static fromJSON(value: JsonValue | undefined, where: string, level = 3): Signature {
    const r = FieldReader.of(value, where, level);
    return withOrder(new Signature(r.string("keyid"), r.string("sig"), r.rest()), r);
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["keyid", this.keyid],
        ["sig", this.sig],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }
}

/** Any role's `signed` object. */
export type AnySigned = Root | Timestamp | Snapshot | Targets;

/** The `signed` class for each `_type`. */
export interface SignedTypes {
  root: Root;
  timestamp: Timestamp;
  snapshot: Snapshot;
  targets: Targets;
}

/** Who may sign a role: its key IDs, its threshold, and the keys they refer to. */
export interface RoleKeys {
  readonly keyids: readonly string[];
  readonly threshold: number;
}

/** The outcome of counting signatures, for messages and for tools that report. */
export interface SignatureCount {
  readonly threshold: number;
  /** Key IDs whose signature verified, one per distinct public key. */
  readonly signed: readonly string[];
  /** Key IDs listed for the role with no valid signature. */
  readonly unsigned: readonly string[];
  /** Keys this client cannot use (unsupported scheme, non-compliant encoding), with why. */
  readonly unusable: ReadonlyArray<{ readonly keyid: string; readonly error: Error }>;
}

function parseSigned(type: string, value: JsonValue | undefined, options: ParseOptions, where: string): AnySigned {
  switch (type) {
    case "root":
      return Root.fromJSON(value, options, where);
    case "timestamp":
      return Timestamp.fromJSON(value, options, where);
    case "snapshot":
      return Snapshot.fromJSON(value, options, where);
    case "targets":
      return Targets.fromJSON(value, options, where);
    default:
      throw new MetadataFormatError(`${where}._type ${JSON.stringify(type)} is not a TUF role type`);
  }
}

/** A metadata file: the `signed` object and its `signatures` (spec §4.2). */
export class Metadata<T extends AnySigned = AnySigned> {
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  private rawSigned: Uint8Array | undefined;

  constructor(
    public signed: T,
    /** Keyed by key ID: at most one signature per key ID. */
    public signatures: Map<string, Signature> = new Map(),
    public unrecognized: Unrecognized = NO_FIELDS,
  ) {}

  /**
   * Parses untrusted metadata bytes. With `expectedType`, any other `_type` is refused.
   * @throws {MetadataFormatError} `TUF_BAD_METADATA` for anything malformed.
   */
  static fromBytes<K extends keyof SignedTypes>(
    data: Uint8Array | string,
    expectedType: K,
    options?: ParseOptions,
  ): Metadata<SignedTypes[K]>;
  static fromBytes(data: Uint8Array | string, expectedType?: undefined, options?: ParseOptions): Metadata;
  static fromBytes(data: Uint8Array | string, expectedType?: string, options: ParseOptions = {}): Metadata {
    if (typeof data !== "string") {
      const fast = Metadata.fromCanonicalLayout(data, expectedType, options);
      if (fast !== undefined) return fast;
    }
    let json: JsonValue;
    try {
      json = parseJsonUncheckedDepth(data);
    } catch (cause) {
      if (cause instanceof FormatError) throw new MetadataFormatError(cause.message, { cause });
      throw cause;
    }
    return Metadata.fromJSON(json, expectedType, options);
  }

  /**
   * Parses a file laid out as Bulwark writes it, `{"signatures":[…],"signed":<canonical
   * JSON>}`, parsing `signed` from its own bytes and remembering them (see
   * {@link parsedSignedBytes}). Anything else, or anything that fails, returns undefined
   * and the caller parses the whole document the ordinary way.
   */
  private static fromCanonicalLayout(data: Uint8Array, expectedType: string | undefined, options: ParseOptions) {
    const layout = splitCanonicalLayout(data);
    if (layout === undefined) return undefined;
    try {
      const signatures = parseJsonUncheckedDepth(layout.signatures);
      const signed = parseJsonUncheckedDepth(layout.signed);
      const md = Metadata.fromJSON({ signatures, signed }, expectedType, options);
      md.rawSigned = layout.signed;
      return md;
    } catch {
      return undefined;
    }
  }

  /** Like {@link fromBytes}, from parsed JSON. */
  static fromJSON(json: JsonValue, expectedType?: string, options: ParseOptions = {}): Metadata {
    const label = options.label ?? expectedType ?? "metadata";
    const r = FieldReader.of(json, label, 1);
    const signedObj = r.object("signed");
    const type = signedObj._type;
    if (typeof type !== "string") throw new MetadataFormatError(`${label}.signed._type must be a string`);
    if (expectedType !== undefined && type !== expectedType) {
      throw new MetadataFormatError(`expected ${expectedType} metadata, got ${JSON.stringify(type)}`);
    }
    const signatures = new Map<string, Signature>();
    for (const [i, s] of r.array("signatures").entries()) {
      const sig = Signature.fromJSON(s, `${label}.signatures[${i}]`);
      if (signatures.has(sig.keyid)) {
        throw new MetadataFormatError(`${label}.signatures lists key ID ${sig.keyid} more than once`);
      }
      signatures.set(sig.keyid, sig);
    }
    const signed = parseSigned(type, signedObj, options, `${label}.signed`);
    return withOrder(new Metadata(signed, signatures, r.rest()), r);
  }

  /**
   * The exact bytes `signed` was parsed from, when the file was laid out with `signed` as
   * canonical JSON (as Bulwark writes it); undefined otherwise. Verifying signatures over
   * these bytes and then using the model parsed from them is sound without re-encoding the
   * model (ADR 4). Valid only while the model is unmodified; signing clears it.
   */
  get parsedSignedBytes(): Uint8Array | undefined {
    return this.rawSigned;
  }

  /**
   * The file as Bulwark writes it: `{"signatures":[…],"signed":<canonical JSON>}`, so
   * readers can verify `signed` as it stands. Falls back to compact JSON when the canonical
   * form is not valid JSON (raw control characters in a string).
   */
  toCanonicalLayoutBytes(signedBytes: Buffer = this.signedBytes()): Buffer {
    return (
      joinCanonicalLayout(
        [...this.signatures.values()].map((s) => s.toJSON()),
        signedBytes,
        Object.keys(this.unrecognized).length === 0,
      ) ?? this.toBytes({ indent: 0 })
    );
  }

  toJSON(): JsonObject {
    return withUnrecognized(
      [
        ["signatures", [...this.signatures.values()].map((s) => s.toJSON())],
        ["signed", this.signed.toJSON()],
      ],
      this.unrecognized,
      this.keyOrder,
    );
  }

  /** The metadata as JSON text: readable by default, `{ indent: 0 }` for compact. */
  toBytes(options: { indent?: number | string } = {}): Buffer {
    return Buffer.from(stringifyJson(this.toJSON(), options), "utf8");
  }

  /**
   * The canonical JSON of `signed`: the bytes every signature covers.
   * @throws {CanonicalJsonError} when `signed` holds a float or a lone surrogate.
   */
  signedBytes(): Buffer {
    return canonicalize(this.signed.toCanonicalJSON());
  }

  /**
   * Signs `signed` with `signer` and records the signature, replacing any earlier one by
   * the same key ID unless `append` is false and one exists.
   */
  async sign(signer: Signer, options: { append?: boolean; signedBytes?: Uint8Array } = {}): Promise<Signature> {
    const bytes = options.signedBytes ?? this.signedBytes();
    const sig = new Signature(signer.keyId, Buffer.from(await signer.sign(bytes)).toString("hex"));
    this.rawSigned = undefined;
    if (options.append === false) this.signatures.clear();
    this.signatures.set(sig.keyid, sig);
    return sig;
  }

  /**
   * Counts the distinct keys of `role` that signed `delegated` (spec 5.3.4 and others).
   * A key listed twice, or under two key IDs, counts once; unknown key IDs count never.
   */
  static countSignatures(
    keys: ReadonlyMap<string, Key>,
    role: RoleKeys,
    delegated: Metadata,
    signedBytes: Uint8Array = delegated.signedBytes(),
  ): SignatureCount {
    const signed: string[] = [];
    const unsigned: string[] = [];
    const unusable: Array<{ keyid: string; error: Error }> = [];
    const seenKeys = new Set<string>();
    for (const keyid of new Set(role.keyids)) {
      const key = keys.get(keyid);
      const sig = delegated.signatures.get(keyid);
      let ok = false;
      if (key !== undefined && sig !== undefined) {
        try {
          ok = key.verify(signedBytes, sig.sig);
        } catch (error) {
          // A key this client cannot use counts as no signature, and is reported.
          unusable.push({ keyid, error: error as Error });
        }
      }
      if (!ok || key === undefined) {
        unsigned.push(keyid);
        continue;
      }
      const identity = key.publicKey().export({ format: "der", type: "spki" }).toString("base64");
      if (seenKeys.has(identity)) continue;
      seenKeys.add(identity);
      signed.push(keyid);
    }
    return { threshold: role.threshold, signed, unsigned, unusable };
  }

  /**
   * Verifies that `delegated` is signed by a threshold of the distinct keys that this
   * metadata (root or a delegating targets role) trusts for role `roleName`.
   * @throws {UnsignedMetadataError} `TUF_UNSIGNED_METADATA` below threshold.
   */
  verifyDelegate(roleName: string, delegated: Metadata, signedBytes?: Uint8Array): SignatureCount {
    const { keys, role } = this.delegationFor(roleName);
    let bytes: Uint8Array;
    try {
      bytes = signedBytes ?? delegated.signedBytes();
    } catch (cause) {
      throw new UnsignedMetadataError(`${roleName} cannot be verified: its signed part has no canonical form`, {
        cause,
      });
    }
    const count = Metadata.countSignatures(keys, role, delegated, bytes);
    if (count.signed.length < role.threshold) {
      const first = count.unusable[0];
      throw new UnsignedMetadataError(
        `${roleName} was signed by ${count.signed.length} of the ${role.threshold} distinct keys required` +
          (count.signed.length > 0 ? ` (valid: ${count.signed.join(", ")})` : "") +
          (first === undefined
            ? ""
            : `; ${count.unusable.length} key(s) cannot be used, e.g. ${first.keyid.slice(0, 12)}: ${first.error.message}`),
        first === undefined ? undefined : { cause: first.error },
      );
    }
    return count;
  }

  /** The keys and role entry this metadata defines for `roleName`. */
  delegationFor(roleName: string): { keys: ReadonlyMap<string, Key>; role: RoleKeys } {
    const signed = this.signed;
    if (signed instanceof Root) {
      const role = signed.roles.get(roleName as TopLevelRoleName);
      if (role === undefined) throw new UsageError(`root does not delegate to ${JSON.stringify(roleName)}`);
      return { keys: signed.keys, role };
    }
    if (signed instanceof Targets) {
      const role = signed.delegations?.roleKeys(roleName);
      if (role === undefined || signed.delegations === undefined) {
        throw new UsageError(`targets does not delegate to ${JSON.stringify(roleName)}`);
      }
      return { keys: signed.delegations.keys, role };
    }
    throw new UsageError(`${signed.type} metadata delegates to no role`);
  }
}
