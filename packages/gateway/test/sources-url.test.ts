import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, test } from "node:test";
import { pollSource, SourceConfigError, type UrlSourceConfig } from "../src/index.js";
import { pollContext, sha256, vendorServer } from "./sources-helpers.js";

const ed = generateKeyPairSync("ed25519");
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const attacker = generateKeyPairSync("ed25519");

const pem = (k: KeyObject) => k.export({ format: "pem", type: "spki" }).toString();

async function setup(t: Parameters<typeof pollContext>[0], files: Record<string, Uint8Array> = {}) {
  const server = await vendorServer(t, files);
  return { server, ctx: pollContext(t) };
}

describe("plain URL source", () => {
  test("a pinned sha256: verified, then 304 on the next poll", async (t) => {
    const data = Buffer.from("tool 3.1");
    const { server, ctx } = await setup(t, { "tool.tgz": data });
    const config: UrlSourceConfig = {
      kind: "url",
      id: "tool",
      url: `${server.url}tool.tgz`,
      version: "3.1",
      sha256: sha256(data),
    };
    const [record] = (await pollSource(config, ctx)).records;
    assert.deepEqual([record?.version, record?.status, record?.verifiedBy], ["3.1", "verified", "strong"]);
    const again = await pollSource(config, ctx);
    assert.equal(again.changed, false);
    assert.deepEqual(
      server.log.map((s) => s.status),
      [200, 304],
    );
  });

  test("rejects bytes other than the pinned sha256", async (t) => {
    const { server, ctx } = await setup(t, { "tool.tgz": Buffer.from("trojan") });
    const config: UrlSourceConfig = { kind: "url", id: "tool", url: `${server.url}tool.tgz`, sha256: "ab".repeat(32) };
    const [record] = (await pollSource(config, ctx)).records;
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.checks.map((c) => [c.check, c.ok]),
      [["sha256-pinned", false]],
    );
  });

  const signers: Array<[string, "ed25519" | "ecdsa-sha256", KeyObject, string]> = [
    ["ed25519", "ed25519", ed.privateKey, pem(ed.publicKey)],
    ["ECDSA P-256", "ecdsa-sha256", ec.privateKey, pem(ec.publicKey)],
  ];
  for (const [name, algorithm, key, publicKey] of signers) {
    test(`a detached ${name} signature verifies (raw and base64)`, async (t) => {
      const data = Buffer.from(`agent ${name}`);
      const signature = sign(algorithm === "ed25519" ? null : "sha256", data, key);
      const { server } = await setup(t, {
        "agent.bin": data,
        "agent.bin.sig": signature,
        "agent.bin.sig.b64": Buffer.from(`${signature.toString("base64")}\n`),
      });
      for (const sig of ["agent.bin.sig", "agent.bin.sig.b64"]) {
        const config: UrlSourceConfig = {
          kind: "url",
          id: `agent-${sig}`,
          url: `${server.url}agent.bin`,
          signature: { url: `${server.url}${sig}`, algorithm, publicKey },
        };
        const [record] = (await pollSource(config, pollContext(t))).records;
        assert.deepEqual([record?.status, record?.verifiedBy], ["verified", "strong"], sig);
      }
    });
  }

  test("rejects a wrong signature (signed with another key) and a missing one (unsigned)", async (t) => {
    const data = Buffer.from("agent 2");
    const { server } = await setup(t, { "agent.bin": data, "agent.bin.sig": sign(null, data, attacker.privateKey) });
    const config = (sig: string): UrlSourceConfig => ({
      kind: "url",
      id: "agent",
      url: `${server.url}agent.bin`,
      signature: { url: `${server.url}${sig}`, algorithm: "ed25519", publicKey: pem(ed.publicKey) },
    });
    for (const [sig, why] of [
      ["agent.bin.sig", /does not verify/],
      ["missing.sig", /unsigned/],
    ] as const) {
      const [record] = (await pollSource(config(sig), pollContext(t))).records;
      assert.equal(record?.status, "suspicious");
      assert.match(record?.alerts[0]?.evidence.failed ?? "", why);
    }
  });

  test("rejects the same version with other bytes, and a return to earlier bytes (rollback)", async (t) => {
    const v1 = Buffer.from("agent v1");
    const v2 = Buffer.from("agent v2");
    const { server, ctx } = await setup(t, { "agent.bin": v1, "agent.bin.sig": sign(null, v1, ed.privateKey) });
    const config: UrlSourceConfig = {
      kind: "url",
      id: "agent",
      url: `${server.url}agent.bin`,
      signature: { url: `${server.url}agent.bin.sig`, algorithm: "ed25519", publicKey: pem(ed.publicKey) },
    };
    await pollSource(config, ctx);
    server.files.set("agent.bin", v2);
    server.files.set("agent.bin.sig", sign(null, v2, ed.privateKey));
    const second = await pollSource(config, ctx);
    assert.deepEqual(
      second.records.map((r) => r.status),
      ["verified"],
    );
    server.files.set("agent.bin", v1);
    server.files.set("agent.bin.sig", sign(null, v1, ed.privateKey));
    const third = await pollSource(config, ctx);
    assert.deepEqual(third.records, []);
    assert.deepEqual(
      third.alerts.map((a) => [a.kind, a.version]),
      [["version-rollback", `sha256-${sha256(v1).slice(0, 16)}`]],
    );
    // With a version label, other bytes under the same label are changed bytes.
    const labelled = { ...config, id: "agent-3", version: "3.0" };
    const ctx3 = pollContext(t);
    await pollSource(labelled, ctx3);
    server.files.set("agent.bin", v2);
    const [record] = (await pollSource(labelled, ctx3)).records;
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["bytes-changed", "stopped-verifying"],
    );
  });

  test("a source with neither a hash nor a signature is refused", async (t) => {
    const { server, ctx } = await setup(t);
    await assert.rejects(
      pollSource({ kind: "url", id: "x", url: `${server.url}x` }, ctx),
      (e: unknown) => e instanceof SourceConfigError && e.code === "SOURCE_BAD_CONFIG",
    );
    assert.deepEqual(server.log, []);
  });
});
