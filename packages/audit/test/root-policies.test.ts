/**
 * The audit's judgement of root: keys and thresholds (distinct keys, root keys online) and
 * the Bulwark policies root carries (verified builds, the transparency log).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Key, Role, Root } from "@bulwark/tuf";
import { bulwarkPolicies, TRANSPARENCY_LOG_FIELD } from "../src/tuf/bulwark-policies.js";
import { roleKeyFindings, roleKeys, rootKeyFindings } from "../src/tuf/keys.js";

function ed25519(hex: string): Key {
  return new Key("ed25519", "ed25519", { public: hex });
}

describe("audit of root: keys and Bulwark policies", () => {
  const k1 = ed25519("1907a34ce068178c96f6b75a4e175d3bd8fac4f7fb025a61b62c7d0e787f1e61");
  const k2 = ed25519("3507c6e3cb8b93af47fa8a01876629c25d2d165603810f3bfbb2db4dc0d3611a");

  it("a key listed under two key IDs counts once: the threshold cannot be met", () => {
    const keys = new Map([
      ["aa", k1],
      ["bb", k1],
    ]);
    const r = roleKeys("root", ["aa", "bb"], 2, keys);
    assert.equal(r.distinct, 1);
    assert.deepEqual(
      roleKeyFindings(r, "root", keys).map((f) => f.id),
      ["tuf.root.threshold-unreachable"],
    );
    const aliases = roleKeys("root", ["aa", "bb"], 1, keys);
    assert.deepEqual(
      roleKeyFindings(aliases, "root", keys).map((f) => f.id),
      ["tuf.root.key-aliases"],
    );
  });

  it("a root key that also signs timestamp is a root key online", () => {
    const keys = new Map([
      ["aa", k1],
      ["bb", k2],
      ["cc", k1],
    ]);
    const root = new Root({ keys });
    root.roles.set("root", new Role(["aa", "bb"], 2));
    root.roles.set("timestamp", new Role(["cc"], 1));
    const roles = new Map(
      [...root.roles].map(([name, role]) => [name, roleKeys(name, role.keyids, role.threshold, keys)] as const),
    );
    assert.deepEqual(
      rootKeyFindings(root, roles).map((f) => `${f.id} ${f.subject}`),
      ["tuf.root.key-online timestamp"],
    );
  });

  it("reads the transparency-log policy when root carries it, and tolerates its absence", () => {
    const root = new Root();
    assert.ok(bulwarkPolicies(root, "k").findings.some((f) => f.id === "release.no-transparency-log"));
    root.unrecognized = {
      [TRANSPARENCY_LOG_FIELD]: {
        origin: "updates.example.com/log",
        log_vkey: "updates.example.com/log+1a2b3c4d+AAAA",
        witnesses: [
          { name: "w1", vkey: "w1+00000000+AAAA" },
          { name: "w2", vkey: "w2+00000000+AAAA" },
        ],
        threshold: 2,
      },
    };
    const withLog = bulwarkPolicies(root, "k");
    assert.equal(withLog.present, true);
    assert.equal(withLog.transparencyLog, "2 of 2 witnesses for log updates.example.com/log");
    assert.ok(withLog.findings.some((f) => f.id === "bulwark.transparency-log" && f.severity === "info"));
    root.unrecognized = { [TRANSPARENCY_LOG_FIELD]: { witnesses: [], threshold: 0 } };
    assert.ok(bulwarkPolicies(root, "k").findings.some((f) => f.id === "bulwark.transparency-log.no-witnesses"));
    root.unrecognized = { [TRANSPARENCY_LOG_FIELD]: "on" };
    assert.ok(bulwarkPolicies(root, "k").findings.some((f) => f.id === "bulwark.transparency-log.unreadable"));
  });
});
