/**
 * The transparency-log policy in root metadata (`x-bulwark-transparency-log`): a round trip
 * of its JSON form, every refusal as a data table (each TLOG_BAD_POLICY naming the field),
 * and a property test: arbitrary JSON, and a valid policy with one field replaced by
 * arbitrary JSON, give a policy or a TlogError, never another exception. The data-availability
 * fields (log_url, checks_availability, require_availability_witnesses) are optional: a policy
 * without them reads to the same model as before, and any valid policy round-trips.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JsonObject, JsonValue } from "@bulwark/tuf";
import fc from "fast-check";
import {
  CosignatureV1Signer,
  countedWitnesses,
  Ed25519Signer,
  isSatisfied,
  LOG_POLICY_FIELD,
  logPolicyFromJSON,
  logPolicyOf,
  logPolicyQuorum,
  logPolicyToJSON,
  TLOG_ERRORS,
  TlogError,
} from "../src/index.js";

const ORIGIN = "updates.example.com/log";
const logKey = new Ed25519Signer(ORIGIN, Buffer.alloc(32, 1)).verifier();
const w = (n: number, name = `w${n}.example`) => new CosignatureV1Signer(name, Buffer.alloc(32, n + 10)).verifier();

const GOOD: JsonObject = {
  origin: ORIGIN,
  log_vkey: logKey.vkey,
  witnesses: [
    { name: "w1", vkey: w(1).vkey, url: "https://w1.example/" },
    { name: "w2", vkey: w(2).vkey },
  ],
  threshold: 2,
};

function withField(field: string, value: JsonValue | undefined): JsonObject {
  const out: JsonObject = { ...GOOD };
  if (value === undefined) delete out[field];
  else out[field] = value;
  return out;
}

describe("the log policy in root", () => {
  it("round-trips its JSON form and requires k of the witnesses", () => {
    const policy = logPolicyFromJSON(GOOD);
    assert.deepEqual(logPolicyToJSON(policy), GOOD);
    assert.equal(policy.logVerifier.vkey, logKey.vkey);
    const quorum = logPolicyQuorum(policy);
    assert.equal(isSatisfied(quorum, [w(1)]), false);
    assert.equal(isSatisfied(quorum, [w(1), w(2)]), true);
    assert.equal(logPolicyOf({ unrecognized: {} }), undefined);
    assert.deepEqual(logPolicyToJSON(logPolicyOf({ unrecognized: { [LOG_POLICY_FIELD]: GOOD } }) as never), GOOD);
  });

  const refusals: ReadonlyArray<{ name: string; value: JsonValue; message: RegExp }> = [
    { name: "not an object", value: [], message: /must be an object/ },
    { name: "an unknown field", value: { ...GOOD, require_all: true }, message: /unknown field "require_all"/ },
    { name: "no origin", value: withField("origin", undefined), message: /origin must be/ },
    { name: "a two-line origin", value: withField("origin", "a\nb"), message: /origin must be/ },
    { name: "a log key that does not parse", value: withField("log_vkey", "nope"), message: /log_vkey does not parse/ },
    { name: "no witnesses", value: withField("witnesses", []), message: /list 1 to 32 witnesses/ },
    { name: "witnesses not a list", value: withField("witnesses", {}), message: /witnesses must be an array/ },
    {
      name: "a witness key that does not parse",
      value: withField("witnesses", [{ name: "w1", vkey: "x" }]),
      message: /witnesses\[0\]\.vkey is not a witness key/,
    },
    {
      name: "an unknown witness field",
      value: withField("witnesses", [{ name: "w1", vkey: w(1).vkey, weight: 2 }]),
      message: /witnesses\[0\] has an unknown field "weight"/,
    },
    {
      name: "a witness URL that is not a URL",
      value: withField("witnesses", [{ name: "w1", vkey: w(1).vkey, url: "not a url" }]),
      message: /witnesses\[0\]\.url is not a URL/,
    },
    {
      name: "one name twice",
      value: withField("witnesses", [
        { name: "w1", vkey: w(1).vkey },
        { name: "w1", vkey: w(2).vkey },
      ]),
      message: /"w1" is listed twice/,
    },
    {
      name: "one key under two names (thresholds count distinct keys)",
      value: withField("witnesses", [
        { name: "w1", vkey: w(1).vkey },
        { name: "w2", vkey: w(1, "other.example").vkey },
      ]),
      message: /has the key of another witness/,
    },
    {
      name: "a witness holding the log's key",
      value: withField("witnesses", [
        { name: "w1", vkey: w(1).vkey },
        { name: "w2", vkey: new CosignatureV1Signer("x", Buffer.alloc(32, 1)).verifier().vkey },
      ]),
      message: /"w2" holds the log's own key/,
    },
    { name: "a threshold of 0", value: withField("threshold", 0), message: /from 1 to 2, not 0/ },
    { name: "a threshold above the witnesses", value: withField("threshold", 3), message: /from 1 to 2, not 3/ },
    { name: "a fractional threshold", value: withField("threshold", 1.5), message: /threshold/ },
    { name: "a threshold as text", value: withField("threshold", "2"), message: /threshold must be a whole number/ },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}`, () => {
      assert.throws(
        () => logPolicyFromJSON(c.value),
        (e: unknown) => e instanceof TlogError && e.code === TLOG_ERRORS.BAD_POLICY && c.message.test(e.message),
      );
    });
  }

  it("yields a policy or a TlogError for any JSON, and for a valid policy with any field replaced", () => {
    const outcome = (value: JsonValue) => {
      try {
        logPolicyFromJSON(value);
      } catch (e) {
        if (!(e instanceof TlogError && e.code === TLOG_ERRORS.BAD_POLICY)) throw e;
      }
    };
    fc.assert(
      fc.property(fc.jsonValue(), (v) => outcome(v as JsonValue)),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.constantFrom("origin", "log_vkey", "witnesses", "threshold"), fc.jsonValue(), (field, v) =>
        outcome(withField(field, v as JsonValue)),
      ),
      { numRuns: 300 },
    );
  });
});

/** GOOD with the data-availability fields: w1 checks availability, and only such witnesses count. */
const WITH_AVAILABILITY: JsonObject = {
  ...GOOD,
  log_url: "https://updates.example.com/log/",
  witnesses: [
    { name: "w1", vkey: w(1).vkey, url: "https://w1.example/", checks_availability: true },
    { name: "w2", vkey: w(2).vkey, checks_availability: false },
  ],
  threshold: 1,
  require_availability_witnesses: true,
};

describe("the log policy's data-availability fields", () => {
  it("reads a policy without them to the same model as before (older policies stay readable)", () => {
    const policy = logPolicyFromJSON(GOOD);
    assert.equal(policy.logUrl, undefined);
    assert.equal(policy.requireAvailabilityWitnesses, undefined);
    assert.ok(policy.witnesses.every((x) => x.checksAvailability === undefined));
    assert.deepEqual(
      countedWitnesses(policy).map((x) => x.name),
      ["w1", "w2"],
    );
  });

  it("round-trips them, and counts only the witnesses that check availability when required", () => {
    const policy = logPolicyFromJSON(WITH_AVAILABILITY);
    assert.deepEqual(logPolicyToJSON(policy), WITH_AVAILABILITY);
    assert.equal(policy.logUrl, "https://updates.example.com/log/");
    const quorum = logPolicyQuorum(policy);
    // A cosignature by a witness that does not read the log's tiles no longer satisfies it.
    assert.equal(isSatisfied(quorum, [w(2)]), false);
    assert.equal(isSatisfied(quorum, [w(1)]), true);
    // Not required: every witness counts, as before.
    const optional = logPolicyFromJSON({ ...WITH_AVAILABILITY, require_availability_witnesses: false });
    assert.equal(isSatisfied(logPolicyQuorum(optional), [w(2)]), true);
    assert.deepEqual(logPolicyToJSON(optional), { ...WITH_AVAILABILITY, require_availability_witnesses: false });
  });

  const refusals: ReadonlyArray<{ name: string; value: JsonValue; message: RegExp }> = [
    {
      name: "a log URL that is not http(s)",
      value: { ...WITH_AVAILABILITY, log_url: "file:///srv/log" },
      message: /log_url must be an http\(s\) URL/,
    },
    {
      name: "a requirement without a log URL",
      value: { ...WITH_AVAILABILITY, log_url: undefined } as unknown as JsonValue,
      message: /log_url/,
    },
    {
      name: "a requirement fewer availability witnesses can meet than the threshold",
      value: { ...WITH_AVAILABILITY, threshold: 2 },
      message: /threshold 2 needs that many witnesses with checks_availability, not 1/,
    },
    {
      name: "a requirement written as text",
      value: { ...WITH_AVAILABILITY, require_availability_witnesses: "yes" },
      message: /require_availability_witnesses must be true or false/,
    },
    {
      name: "a witness flag written as a number",
      value: { ...WITH_AVAILABILITY, witnesses: [{ name: "w1", vkey: w(1).vkey, checks_availability: 1 }] },
      message: /witnesses\[0\]\.checks_availability must be true or false/,
    },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name}`, () => {
      const value = JSON.parse(JSON.stringify(c.value)) as JsonValue;
      assert.throws(
        () => logPolicyFromJSON(value),
        (e: unknown) => e instanceof TlogError && e.code === TLOG_ERRORS.BAD_POLICY && c.message.test(e.message),
      );
    });
  }

  it("round-trips every valid policy, with or without the new fields", () => {
    const witnessJson = (i: number, url: boolean, checks: boolean | undefined): JsonObject => ({
      name: `w${i}`,
      vkey: w(i).vkey,
      ...(url ? { url: `https://w${i}.example/` } : {}),
      ...(checks === undefined ? {} : { checks_availability: checks }),
    });
    const policies = fc
      .record({
        witnesses: fc.array(fc.tuple(fc.boolean(), fc.option(fc.boolean(), { nil: undefined })), {
          minLength: 1,
          maxLength: 5,
        }),
        threshold: fc.integer({ min: 1, max: 5 }),
        logUrl: fc.option(fc.constantFrom("https://log.example/", "http://127.0.0.1:8080/log/"), { nil: undefined }),
        require: fc.option(fc.boolean(), { nil: undefined }),
      })
      .map(
        ({ witnesses, threshold, logUrl, require }): JsonObject => ({
          origin: ORIGIN,
          log_vkey: logKey.vkey,
          ...(logUrl === undefined ? {} : { log_url: logUrl }),
          witnesses: witnesses.map(([url, checks], i) => witnessJson(i + 1, url, checks)),
          threshold,
          ...(require === undefined ? {} : { require_availability_witnesses: require }),
        }),
      );
    fc.assert(
      fc.property(policies, (json) => {
        let policy: ReturnType<typeof logPolicyFromJSON>;
        try {
          policy = logPolicyFromJSON(json);
        } catch (e) {
          if (e instanceof TlogError && e.code === TLOG_ERRORS.BAD_POLICY) return;
          throw e;
        }
        assert.deepEqual(logPolicyToJSON(policy), json);
        assert.deepEqual(logPolicyToJSON(logPolicyFromJSON(logPolicyToJSON(policy))), json);
      }),
      { numRuns: 300 },
    );
    const outcome = (value: JsonValue) => {
      try {
        logPolicyFromJSON(value);
      } catch (e) {
        if (!(e instanceof TlogError && e.code === TLOG_ERRORS.BAD_POLICY)) throw e;
      }
    };
    fc.assert(
      fc.property(fc.constantFrom("log_url", "require_availability_witnesses"), fc.jsonValue(), (field, v) =>
        outcome({ ...WITH_AVAILABILITY, [field]: v as JsonValue }),
      ),
      { numRuns: 300 },
    );
  });
});
