import assert from "node:assert/strict";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { describe, test } from "node:test";
import { pollSource, SourceConfigError, type SparkleSourceConfig } from "../src/index.js";
import { pollContext, type VendorServer, vendorServer } from "./sources-helpers.js";

const vendor = generateKeyPairSync("ed25519");
const attacker = generateKeyPairSync("ed25519");

/** The app's SUPublicEDKey: base64 of the raw 32-byte key. */
function rawPublicKey(key: KeyObject): string {
  return Buffer.from(key.export({ format: "jwk" }).x as string, "base64url").toString("base64");
}

interface Item {
  readonly version: string;
  readonly file: string;
  readonly data: Uint8Array;
  /** The signing key; null for an unsigned enclosure. */
  readonly key?: KeyObject | null;
}

function appcast(items: readonly Item[]): string {
  const entries = items.map((i) => {
    const key = i.key === undefined ? vendor.privateKey : i.key;
    const sig = key === null ? "" : ` sparkle:edSignature="${sign(null, i.data, key).toString("base64")}"`;
    return `<item><title>${i.version}</title><sparkle:version>${i.version}</sparkle:version><enclosure url="${i.file}" length="${i.data.length}" type="application/octet-stream"${sig}/></item>`;
  });
  return `<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:sparkle="http://www.andymatuschak.org/xml-namespaces/sparkle"><channel><title>Acme</title>${entries.join("")}</channel></rss>\n`;
}

function serve(server: VendorServer, items: readonly Item[]): void {
  for (const i of items) server.files.set(i.file, i.data);
  server.files.set("appcast.xml", Buffer.from(appcast(items)));
}

function item(version: string, key?: KeyObject | null, data = Buffer.from(`Acme ${version}.zip`)): Item {
  return { version, file: `Acme-${version}.zip`, data, ...(key === undefined ? {} : { key }) };
}

async function setup(t: Parameters<typeof pollContext>[0]) {
  const server = await vendorServer(t);
  const ctx = pollContext(t);
  const config: SparkleSourceConfig = {
    kind: "sparkle",
    id: "acme-mac",
    feedUrl: `${server.url}appcast.xml`,
    publicKey: rawPublicKey(vendor.publicKey),
  };
  return { server, ctx, config };
}

describe("Sparkle appcast source", () => {
  test("records the newest item, its EdDSA signature verified under the app's key", async (t) => {
    const { server, ctx, config } = await setup(t);
    serve(server, [item("100"), item("101")]);
    const result = await pollSource(config, ctx);
    assert.deepEqual(
      result.records.map((r) => [r.version, r.status, r.verifiedBy]),
      [["101", "verified", "strong"]],
    );
    assert.deepEqual(
      result.records[0]?.checks.map((c) => [c.check, c.ok]),
      [
        ["size", true],
        ["sparkle-ed25519", true],
      ],
    );
    // Only what the app would install is fetched.
    assert.equal(server.fetched("Acme-100.zip"), 0);
    const again = await pollSource(config, ctx);
    assert.equal(again.changed, false);
    assert.equal(server.log.at(-1)?.status, 304);
  });

  const attacks: Array<[string, KeyObject | null, RegExp]> = [
    ["rejects an unsigned update", null, /no sparkle:edSignature/],
    ["rejects an update signed with another key (wrong signature)", attacker.privateKey, /does not verify/],
  ];
  for (const [name, key, why] of attacks) {
    test(name, async (t) => {
      const { server, ctx, config } = await setup(t);
      serve(server, [item("100")]);
      await pollSource(config, ctx);
      serve(server, [item("100"), item("101", key)]);
      const [record] = (await pollSource(config, ctx)).records;
      assert.equal(record?.status, "suspicious");
      assert.equal(record?.verifiedBy, "nothing");
      assert.deepEqual(
        record?.alerts.map((a) => [a.kind, a.evidence.lastVerified]),
        [["stopped-verifying", "100"]],
      );
      assert.match(record?.alerts[0]?.evidence.failed ?? "", why);
    });
  }

  test("rejects a signature over other bytes (the archive swapped under a valid signature)", async (t) => {
    const { server, ctx, config } = await setup(t);
    serve(server, [item("101")]);
    server.files.set("Acme-101.zip", Buffer.from("Acme 101.zap"));
    const [record] = (await pollSource(config, ctx)).records;
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["verification-failed"],
    );
  });

  test("rejects a version rollback: the newest item removed", async (t) => {
    const { server, ctx, config } = await setup(t);
    serve(server, [item("100"), item("101")]);
    await pollSource(config, ctx);
    serve(server, [item("100")]);
    const result = await pollSource(config, ctx);
    assert.deepEqual(
      result.alerts.map((a) => [a.kind, a.version]),
      [["version-rollback", "100"]],
    );
  });

  test("rejects the same version with other bytes, even signed with the vendor's key", async (t) => {
    const { server, ctx, config } = await setup(t);
    serve(server, [item("101")]);
    await pollSource(config, ctx);
    serve(server, [item("101", undefined, Buffer.from("Acme 101.zip, rebuilt"))]);
    const [record] = (await pollSource(config, ctx)).records;
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["bytes-changed"],
    );
  });

  test("a key that is not Ed25519 is refused when the source is configured", async (t) => {
    const { ctx, config } = await setup(t);
    await assert.rejects(pollSource({ ...config, publicKey: "bm90IGEga2V5" }, ctx), (e: unknown) => {
      assert.ok(e instanceof SourceConfigError);
      assert.equal(e.code, "SOURCE_BAD_CONFIG");
      return true;
    });
  });
});
