import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { parsePolicy, windowOpen } from "../src/index.js";

const RINGS = [{ name: "canary" }, { name: "broad", delay: "1d" }];

const INVALID: readonly [string, unknown, RegExp][] = [
  ["no rings", { rings: [] }, /`rings`/],
  ["a ring named twice", { rings: [{ name: "a" }, { name: "a" }] }, /a ring is named twice/],
  ["an unknown key, with the closest one suggested", { rings: RINGS, default: { soke: "1d" } }, /did you mean `soak`/],
  ["a duration without a unit", { rings: RINGS, default: { soak: "48" } }, /`default.soak`/],
  ["a negative threshold", { rings: RINGS, default: { approvals: { required: -1 } } }, /`default.approvals.required`/],
  [
    "k larger than the approvers listed",
    { rings: RINGS, default: { approvals: { required: 3, approvers: ["alice", "bob"] } } },
    /required is more than the approvers listed/,
  ],
  [
    "an approver listed twice",
    { rings: RINGS, default: { approvals: { required: 1, approvers: ["alice", "alice"] } } },
    /listed twice/,
  ],
  [
    "a window that ends before it starts",
    { rings: RINGS, default: { windows: [{ days: ["sat"], start: "06:00", end: "02:00" }] } },
    /end must be after start/,
  ],
  ["a window on no day", { rings: RINGS, default: { windows: [{ days: [], start: "01:00", end: "02:00" }] } }, /days/],
  [
    "a time past midnight",
    { rings: RINGS, default: { windows: [{ days: ["mon"], start: "24:30", end: "25:00" }] } },
    /start/,
  ],
  ["a scan verdict block is never accepted", { rings: RINGS, default: { scan: "block" } }, /`default.scan`/],
  [
    "a source's rule for a ring the policy lacks",
    { rings: RINGS, sources: { acme: { rings: { early: {} } } } },
    /no ring named early/,
  ],
  ["a block-listed hash in upper case", { rings: RINGS, block: { sha256: ["AB".repeat(32)] } }, /`block.sha256\[0\]`/],
];

describe("the policy document", () => {
  for (const [name, document, message] of INVALID) {
    test(`refuses ${name}`, () => {
      assert.throws(
        () => parsePolicy(document),
        (e: unknown) => (e as { code?: string }).code === "POLICY_INVALID" && message.test((e as Error).message),
      );
    });
  }

  test("anything that is not a valid policy is refused with POLICY_INVALID, never another error", () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ rings: fc.jsonValue(), default: fc.jsonValue() })), (value) => {
        try {
          parsePolicy(value);
        } catch (e) {
          assert.equal((e as { code?: string }).code, "POLICY_INVALID");
        }
      }),
    );
  });

  test("maintenance windows: inside, before, and after the last of the week", () => {
    const { windows } = parsePolicy({
      rings: RINGS,
      default: {
        windows: [
          { days: ["tue", "thu"], start: "22:00", end: "24:00" },
          { days: ["wed"], start: "00:00", end: "01:30" },
        ],
      },
    }).rule("any", "canary");
    const at = (iso: string) => windowOpen(windows, new Date(iso));
    // 2026-12-01 is a Tuesday.
    assert.equal(at("2026-12-01T23:59:59.999Z"), true);
    assert.equal(at("2026-12-02T01:00:00.000Z"), true, "the Wednesday window follows on");
    assert.deepEqual(at("2026-12-02T01:30:00.000Z"), new Date("2026-12-03T22:00:00.000Z"));
    assert.deepEqual(at("2026-12-04T00:00:00.000Z"), new Date("2026-12-08T22:00:00.000Z"), "over the weekend");
    assert.equal(windowOpen([], new Date(0)), true, "no windows: any time");
  });
});
