import { isJsonObject, type JsonObject, type JsonValue, parseJson, stringifyJson, UsageError } from "@bulwark/tuf";
import { type DigestSet, digestSetToJSON, readDigestSet, toDigestSet } from "./digest-set.js";
import { AttestError } from "./errors.js";

/** The in-toto Statement `_type` this package reads and writes (attestation spec v1). */
export const STATEMENT_TYPE_V1 = "https://in-toto.io/Statement/v1";

/** The DSSE payloadType of an in-toto Statement. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

/**
 * One artifact a Statement is about. Subjects are matched by digest; the name is checked
 * only beside it, when a quorum binds a release (a name alone identifies nothing).
 */
export interface Subject {
  /** Optional in v1; `"_"` or unset when the name is not meaningful. */
  readonly name?: string;
  readonly digest: DigestSet;
}

/**
 * An in-toto Statement v1: which artifacts (`subject`) a typed claim (`predicate`) is
 * about. Unknown fields are ignored when parsing, as the in-toto parsing rules require.
 */
export interface Statement {
  readonly subject: readonly Subject[];
  readonly predicateType: string;
  /** Unset is the same as empty (spec); kept as the parsed JSON object. */
  readonly predicate: JsonObject | undefined;
}

/** What a caller gives {@link buildStatement}: digests as a record or a map. */
export interface StatementInput {
  readonly subject: ReadonlyArray<{
    readonly name?: string;
    readonly digest: DigestSet | Readonly<Record<string, string>>;
  }>;
  readonly predicateType: string;
  readonly predicate?: JsonObject;
}

function bad(message: string): never {
  throw new AttestError("ATTEST_BAD_STATEMENT", message);
}

/**
 * Parses a Statement from payload bytes (already verified: parse only what was signed).
 * @throws {AttestError} `ATTEST_BAD_STATEMENT` naming the bad field.
 */
export function parseStatement(payload: Uint8Array): Statement {
  let value: JsonValue;
  try {
    value = parseJson(payload);
  } catch (cause) {
    throw new AttestError("ATTEST_BAD_STATEMENT", "the statement is not valid JSON", { cause });
  }
  return statementFromJSON(value);
}

/**
 * Reads a parsed Statement v1 strictly: `_type` exactly v1, a non-empty `subject` of
 * descriptors that each carry a valid DigestSet, a non-empty `predicateType` and an
 * object (or absent) `predicate`.
 * @throws {AttestError} `ATTEST_BAD_STATEMENT` naming the bad field.
 */
export function statementFromJSON(value: JsonValue): Statement {
  if (!isJsonObject(value)) return bad("the statement must be a JSON object");
  if (value._type !== STATEMENT_TYPE_V1) {
    return bad(`statement._type must be ${JSON.stringify(STATEMENT_TYPE_V1)}`);
  }
  // statement.md: subject is required, and each element MUST have digest set.
  const list = value.subject;
  if (!Array.isArray(list) || list.length === 0) return bad("statement.subject must be a non-empty array");
  const subject = list.map((entry, i): Subject => {
    const where = `statement.subject[${i}]`;
    if (!isJsonObject(entry)) return bad(`${where} must be an object`);
    const digest = readDigestSet(entry.digest, `${where}.digest`);
    if (typeof digest === "string") return bad(digest);
    if (!Object.hasOwn(entry, "name")) return { digest };
    const name = entry.name;
    if (typeof name !== "string") return bad(`${where}.name must be a string`);
    return { name, digest };
  });
  const predicateType = value.predicateType;
  if (typeof predicateType !== "string" || predicateType.length === 0) {
    return bad("statement.predicateType must be a non-empty string");
  }
  // statement.md: predicate is optional; unset is the same as set-but-empty.
  if (!Object.hasOwn(value, "predicate")) return { subject, predicateType, predicate: undefined };
  const predicate = value.predicate;
  if (!isJsonObject(predicate)) return bad("statement.predicate must be an object");
  return { subject, predicateType, predicate };
}

/** The Statement as JSON, fields in the spec's order. */
export function statementToJSON(statement: Statement): JsonObject {
  const json: JsonObject = {
    _type: STATEMENT_TYPE_V1,
    subject: statement.subject.map((s) =>
      s.name === undefined
        ? { digest: digestSetToJSON(s.digest) }
        : { name: s.name, digest: digestSetToJSON(s.digest) },
    ),
    predicateType: statement.predicateType,
  };
  if (statement.predicate !== undefined) json.predicate = statement.predicate;
  return json;
}

/** The Statement as compact JSON bytes: the DSSE payload. */
export function serializeStatement(statement: Statement): Buffer {
  return Buffer.from(stringifyJson(statementToJSON(statement), { indent: 0 }), "utf8");
}

/**
 * A Statement from the caller's values, checked with the same rules as a parsed one.
 * @throws {UsageError} when a value would not survive {@link statementFromJSON}.
 */
export function buildStatement(input: StatementInput): Statement {
  const draft: Statement = {
    subject: input.subject.map((s) =>
      s.name === undefined ? { digest: toDigestSet(s.digest) } : { name: s.name, digest: toDigestSet(s.digest) },
    ),
    predicateType: input.predicateType,
    predicate: input.predicate,
  };
  try {
    return statementFromJSON(statementToJSON(draft));
  } catch (cause) {
    if (cause instanceof AttestError) throw new UsageError(cause.message, { cause, code: "ATTEST_USAGE" });
    throw cause;
  }
}

/** The subjects whose `sha256` digest equals `sha256` (lowercase hex). */
export function subjectsWithSha256(statement: Statement, sha256: string): Subject[] {
  return statement.subject.filter((s) => s.digest.get("sha256") === sha256);
}
