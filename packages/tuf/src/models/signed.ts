import type { CanonicalValue } from "../canonical-json.js";
import { MetadataFormatError } from "../errors.js";
import type { FieldReader, Unrecognized } from "../fields.js";
import type { JsonObject, JsonValue } from "../json.js";
import { SPECIFICATION_VERSION, SUPPORTED_SPEC_MAJOR } from "../spec.js";

/** Options for parsing metadata. */
export interface ParseOptions {
  /**
   * Accept any RFC 3339 instant in `expires` (fractional seconds, offsets), as go-tuf and
   * early Sigstore roots write. The spec's form is `YYYY-MM-DDTHH:MM:SSZ`; off by default.
   */
  readonly lenientDates?: boolean;
  /**
   * What errors call the metadata: a delegated role's name (`dev.signed.expires …`) rather
   * than its type (`targets.signed…`). The expected type by default.
   */
  readonly label?: string;
}

const STRICT_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses a TUF `expires` string into epoch milliseconds.
 * @throws {MetadataFormatError} when it is not a valid instant in the accepted form.
 */
export function parseExpires(text: string, options: ParseOptions = {}, where = "expires"): number {
  const m = (options.lenientDates ? RFC3339 : STRICT_DATE).exec(text);
  const fail = (): never => {
    throw new MetadataFormatError(
      `${where} must be a date in the form YYYY-MM-DDTHH:MM:SSZ, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  };
  if (m === null) return fail();
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  // setUTCFullYear, not Date.UTC: the latter reads years 0-99 as 1900-1999.
  const check = new Date(0);
  check.setUTCFullYear(y, mo - 1, d);
  check.setUTCHours(h, mi, s, 0);
  const base = check.getTime();
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi ||
    check.getUTCSeconds() !== s
  ) {
    return fail();
  }
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0${m[7]}`) * 1000);
  const zone = m[8] ?? "Z";
  let offset = 0;
  if (zone !== "Z" && zone !== "z") {
    const sign = zone[0] === "-" ? -1 : 1;
    offset = sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return base + fraction - offset;
}

/** Formats an instant the way the spec writes `expires` (whole seconds, UTC). */
export function formatExpires(at: Date | number): string {
  const ms = typeof at === "number" ? at : at.getTime();
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** The fields every role's `signed` object has (spec §4.2). */
export interface CommonFields {
  specVersion: string;
  version: number;
  expiresText: string;
  expiresAt: number;
  unrecognized: Unrecognized;
}

/** Reads `_type`, `spec_version`, `version` and `expires`, and checks `_type`. */
export function readCommonFields(
  r: FieldReader,
  type: string,
  options: ParseOptions,
): Omit<CommonFields, "unrecognized"> {
  const actualType = r.string("_type");
  if (actualType !== type) {
    throw new MetadataFormatError(
      `${r.where}._type must be ${JSON.stringify(type)}, got ${JSON.stringify(actualType)}`,
    );
  }
  const specVersion = r.string("spec_version");
  const parts = specVersion.split(".");
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => /^\d+$/.test(p))) {
    throw new MetadataFormatError(
      `${r.where}.spec_version must look like "1.0.31", got ${JSON.stringify(specVersion)}`,
    );
  }
  if (parts[0] !== SUPPORTED_SPEC_MAJOR) {
    throw new MetadataFormatError(
      `${r.where}.spec_version ${specVersion} is not supported: this client implements ${SPECIFICATION_VERSION}`,
    );
  }
  const version = r.integer("version", 1);
  const expiresText = r.string("expires");
  const expiresAt = parseExpires(expiresText, options, `${r.where}.expires`);
  return { specVersion, version, expiresText, expiresAt };
}

/** Base of the four role models: the common fields and their (de)serialisation. */
export abstract class Signed {
  abstract readonly type: string;
  specVersion: string;
  version: number;
  unrecognized: Unrecognized;
  /** Field order of the parsed source, kept so it re-serialises byte for byte. */
  keyOrder: readonly string[] | undefined = undefined;
  private expiresText: string;
  private expiresMs: number;

  protected constructor(common: Partial<CommonFields>) {
    this.specVersion = common.specVersion ?? SPECIFICATION_VERSION;
    this.version = common.version ?? 1;
    this.unrecognized = common.unrecognized ?? {};
    if (common.expiresText !== undefined && common.expiresAt !== undefined) {
      this.expiresText = common.expiresText;
      this.expiresMs = common.expiresAt;
    } else {
      this.expiresMs = common.expiresAt ?? Date.now() + 24 * 3600 * 1000;
      this.expiresText = formatExpires(this.expiresMs);
    }
  }

  /** When this metadata expires. */
  get expires(): Date {
    return new Date(this.expiresMs);
  }

  set expires(at: Date) {
    this.expiresText = formatExpires(at);
    this.expiresMs = parseExpires(this.expiresText);
  }

  /** Epoch milliseconds of `expires`. */
  get expiresAt(): number {
    return this.expiresMs;
  }

  /** True when `expires` is at or before `reference` (spec: "expired" when now >= expires). */
  isExpired(reference: Date | number): boolean {
    const ref = typeof reference === "number" ? reference : reference.getTime();
    return ref >= this.expiresMs;
  }

  /** The `signed` object as JSON. */
  abstract toJSON(): JsonObject;

  /** What canonical JSON is computed from: {@link toJSON}, or a faster equivalent. */
  toCanonicalJSON(): CanonicalValue {
    return this.toJSON();
  }

  /** The common fields, in the order the spec lists them. */
  protected commonJSON(): Array<[string, JsonValue | undefined]> {
    return [
      ["_type", this.type],
      ["spec_version", this.specVersion],
      ["version", this.version],
      ["expires", this.expiresText],
    ];
  }
}
