import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { pollSource, type SquirrelSourceConfig } from "../src/index.js";
import { pollContext, sha1, type VendorServer, vendorServer } from "./sources-helpers.js";

function publish(server: VendorServer, packages: ReadonlyArray<[string, Uint8Array]>, sha = sha1): void {
  const lines = packages.map(([version, data]) => {
    const name = `Acme-${version}-full.nupkg`;
    server.files.set(name, data);
    return `${sha(data).toUpperCase()} ${name} ${data.length}`;
  });
  server.files.set("RELEASES", Buffer.from(`${lines.join("\r\n")}\r\n`));
}

const pkg = (version: string) => Buffer.from(`nupkg of ${version}`);

async function setup(t: Parameters<typeof pollContext>[0]) {
  const server = await vendorServer(t);
  const ctx = pollContext(t);
  const config: SquirrelSourceConfig = { kind: "squirrel", id: "acme-squirrel", feedUrl: `${server.url}RELEASES` };
  return { server, ctx, config };
}

describe("Squirrel.Windows RELEASES source", () => {
  test("records the newest full package, SHA-1 and size checked and called weak", async (t) => {
    const { server, ctx, config } = await setup(t);
    publish(server, [
      ["1.0.0", pkg("1.0.0")],
      ["1.2.0", pkg("1.2.0")],
    ]);
    const [record] = (await pollSource(config, ctx)).records;
    assert.equal(record?.version, "1.2.0");
    assert.equal(record?.status, "verified");
    assert.equal(record?.verifiedBy, "weak");
    assert.deepEqual(
      record?.checks.map((c) => [c.check, c.ok, c.strength]),
      [
        ["size", true, "weak"],
        ["sha1", true, "weak"],
      ],
    );
    assert.match(record?.checks[1]?.detail ?? "", /collisions are practical/);
    assert.equal((await pollSource(config, ctx)).changed, false);
    assert.equal(server.log.at(-1)?.status, 304);
  });

  test("rejects a package whose SHA-1 does not match", async (t) => {
    const { server, ctx, config } = await setup(t);
    publish(server, [["1.0.0", pkg("1.0.0")]]);
    await pollSource(config, ctx);
    publish(server, [["1.1.0", pkg("1.1.0")]]);
    server.files.set("Acme-1.1.0-full.nupkg", Buffer.from("trojan of 1.1.0"));
    const [record] = (await pollSource(config, ctx)).records;
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["stopped-verifying"],
    );
  });

  test("rejects a version rollback", async (t) => {
    const { server, ctx, config } = await setup(t);
    publish(server, [
      ["1.0.0", pkg("1.0.0")],
      ["1.1.0", pkg("1.1.0")],
    ]);
    await pollSource(config, ctx);
    publish(server, [["1.0.0", pkg("1.0.0")]]);
    const result = await pollSource(config, ctx);
    assert.deepEqual(
      result.alerts.map((a) => [a.kind, a.version]),
      [["version-rollback", "1.0.0"]],
    );
    // Never taken before (only the newest is), so fetched now, once, and held as suspicious.
    assert.deepEqual(
      result.records.map((r) => [r.version, r.status]),
      [["1.0.0", "suspicious"]],
    );
    assert.equal(server.fetched("Acme-1.0.0-full.nupkg"), 1);
  });

  test("rejects the same version with other bytes", async (t) => {
    const { server, ctx, config } = await setup(t);
    publish(server, [["1.1.0", pkg("1.1.0")]]);
    await pollSource(config, ctx);
    publish(server, [["1.1.0", Buffer.from("other nupkg of 1.1.0")]]);
    const [record] = (await pollSource(config, ctx)).records;
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["bytes-changed"],
    );
  });
});
