/**
 * `bulwark release add` under a 2-of-3 release policy: every way a release can lack its
 * quorum, and every malformed or oversized attestation, is refused with a typed error
 * and lists nothing.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import type { Vendor } from "./e2e-helpers.js";
import { initRepo, runCli } from "./helpers.js";
import {
  attest,
  type Builder,
  errorOf,
  genuineBuild,
  makeBuilders,
  OTHER_SOURCE,
  releaseAdd,
  sharedScope,
  trojanBuild,
  vendorWithPolicy,
  writeArtifact,
} from "./verified-builds-helpers.js";

interface Fixture {
  vendor: Vendor;
  a: Builder;
  b: Builder;
  c: Builder;
  outsider: Builder;
  artifact: string;
  other: string;
}

/** What the next publish would sign: a refused release add must not change it. */
function staged(vendor: Vendor): string {
  const dir = path.join(vendor.dir, "staged");
  const state = existsSync(path.join(dir, "state.json")) ? readFileSync(path.join(dir, "state.json"), "utf8") : null;
  const metadata = existsSync(path.join(dir, "metadata")) ? readdirSync(path.join(dir, "metadata")) : [];
  return JSON.stringify({ state, metadata });
}

describe("release add with a release policy", () => {
  const scope = sharedScope();
  let f: Fixture;
  before(async () => {
    const { vendor, builders } = await vendorWithPolicy(scope);
    const [a, b, c] = builders as [Builder, Builder, Builder];
    const [outsider] = (await makeBuilders(vendor.work, ["X"])) as [Builder];
    const artifact = writeArtifact(vendor.work, "app-1.2.0.tar.gz", genuineBuild("1.2.0"));
    const other = writeArtifact(vendor.work, "app-1.2.0.tar.gz", trojanBuild("1.2.0"));
    f = { vendor, a, b, c, outsider, artifact, other };
  });

  const attacks: ReadonlyArray<{
    name: string;
    attestations: (f: Fixture) => Promise<string[]>;
    message: RegExp;
  }> = [
    {
      name: "refuses attestations of another artifact",
      attestations: async (f) => [await attest(f.a, f.artifact), await attest(f.b, f.other)],
      message: /disagreed: https:\/\/builder-b\.example \(attestation 1: it attests another artifact/,
    },
    {
      name: "refuses an attestation of another source digest",
      attestations: async (f) => [
        await attest(f.a, f.artifact),
        await attest(f.b, f.artifact, { source: OTHER_SOURCE }),
      ],
      message: /disagreed: https:\/\/builder-b\.example \(attestation 1: it was built from another source/,
    },
    {
      name: "counts one builder once, however many attestations it gives",
      attestations: async (f) => [await attest(f.a, f.artifact), await attest(f.a, f.artifact)],
      message: /attested by 1 of the 2.*agreed: https:\/\/builder-a\.example;/,
    },
    {
      name: "refuses a key outside the policy (a builder's key rotated out, or a stranger's)",
      attestations: async (f) => [
        await attest(f.a, f.artifact),
        await attest(f.outsider, f.artifact, { builderId: f.b.id }),
      ],
      message: /invalid: attestation 1 \(it is signed by no builder key in the policy\)/,
    },
    {
      name: "refuses a builder's key used under another builder's ID",
      attestations: async (f) => [await attest(f.a, f.artifact), await attest(f.c, f.artifact, { builderId: f.b.id })],
      message: /disagreed: https:\/\/builder-c\.example \(attestation 1: its provenance names builder/,
    },
    {
      name: "refuses a release with no attestations",
      attestations: async () => [],
      message:
        /no attestation from: https:\/\/builder-a\.example, https:\/\/builder-b\.example, https:\/\/builder-c\.example/,
    },
  ];
  for (const attack of attacks) {
    it(attack.name, async () => {
      const before = staged(f.vendor);
      const run = await releaseAdd(f.vendor.dir, f.artifact, "1.2.0", await attack.attestations(f));
      assert.equal(run.code, 1, run.stderr);
      const error = errorOf(run);
      assert.equal(error.code, "ATTEST_NO_QUORUM");
      assert.match(error.message, attack.message);
      assert.match(run.stderr, /hint: each builder must rebuild the same source/);
      assert.equal(staged(f.vendor), before, "nothing was staged");
    });
  }

  const malformed: ReadonlyArray<{ name: string; bytes: () => Buffer; code: string; message: RegExp }> = [
    {
      name: "an empty file",
      bytes: () => Buffer.alloc(0),
      code: "ATTEST_BAD_ENVELOPE",
      message: /holds no attestation/,
    },
    {
      name: "not JSON",
      bytes: () => Buffer.from("not an envelope\n"),
      code: "ATTEST_BAD_ENVELOPE",
      message: /line 1|JSON/,
    },
    {
      name: "an envelope without signatures",
      bytes: () => Buffer.from(JSON.stringify({ payloadType: "application/vnd.in-toto+json", payload: "e30=" })),
      code: "ATTEST_BAD_ENVELOPE",
      message: /signatures/,
    },
    {
      name: "a good envelope and a bad line",
      bytes: () => Buffer.concat([readFileSync(goodAttestation), Buffer.from('{"payload": 5}\n')]),
      code: "ATTEST_BAD_ENVELOPE",
      message: /line 2/,
    },
    {
      name: "an envelope over 1 MiB",
      bytes: () =>
        Buffer.from(
          JSON.stringify({ payloadType: "x", payload: "A".repeat(1024 * 1024), signatures: [{ keyid: "", sig: "" }] }),
        ),
      code: "ATTEST_TOO_LARGE",
      message: /./,
    },
    {
      name: "a file over 4 MiB",
      bytes: () => Buffer.alloc(4 * 1024 * 1024 + 1, 0x20),
      code: "ATTEST_TOO_LARGE",
      message: /more than the 4194304/,
    },
  ];
  let goodAttestation = "";
  for (const bad of malformed) {
    it(`refuses ${bad.name} as an attestation, naming the file`, async () => {
      goodAttestation ||= await attest(f.a, f.artifact);
      const file = path.join(f.vendor.work, "bad.intoto.jsonl");
      writeFileSync(file, bad.bytes());
      const run = await releaseAdd(f.vendor.dir, f.artifact, "1.2.0", [goodAttestation, file]);
      assert.equal(run.code, 1, run.stderr);
      const error = errorOf(run);
      assert.equal(error.code, bad.code, error.message);
      assert.match(error.message, /bad\.intoto\.jsonl/);
      assert.match(error.message, bad.message);
    });
  }

  it("refuses arbitrary bytes as an attestation with a typed error, never a crash (property)", async () => {
    const good = await attest(f.a, f.artifact);
    const file = path.join(f.vendor.work, "fuzz.intoto.jsonl");
    const samples = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 512 }),
        fc.json().map((j) => new TextEncoder().encode(j)),
        fc
          .record({
            payloadType: fc.string(),
            payload: fc.base64String(),
            signatures: fc.array(fc.record({ sig: fc.base64String() })),
          })
          .map((e) => new TextEncoder().encode(JSON.stringify(e))),
      ),
      { numRuns: 25, seed: 6 },
    );
    for (const bytes of samples) {
      writeFileSync(file, bytes);
      const run = await releaseAdd(f.vendor.dir, f.artifact, "1.2.0", [good, file]);
      assert.equal(run.code, 1, run.stderr);
      assert.ok(
        ["ATTEST_BAD_ENVELOPE", "ATTEST_TOO_LARGE", "ATTEST_NO_QUORUM"].includes(errorOf(run).code),
        run.stderr,
      );
    }
  });

  it("needs --source-digest under a policy, and a well-formed one", async () => {
    const good = await attest(f.a, f.artifact);
    const none = await runCli([
      ...["release", "add", f.vendor.dir, f.artifact, "--name", "app", "--version", "1.2.0"],
      ...["--attestation", good, "--json"],
    ]);
    assert.equal(none.code, 2);
    assert.match(errorOf(none).message, /requires --source-digest/);
    const bad = await releaseAdd(f.vendor.dir, f.artifact, "1.2.0", [good], ["--source-digest", "md5:abc"]);
    assert.equal(bad.code, 2);
    assert.match(errorOf(bad).message, /not sha1:<40 hex> or sha256:<64 hex>/);
  });

  it("accepts two agreeing builders, publishing only the attestations that counted", async () => {
    const run = await releaseAdd(f.vendor.dir, f.artifact, "1.2.0", [
      await attest(f.a, f.artifact),
      await attest(f.c, f.artifact),
      await attest(f.b, f.other),
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /counts for none of the release files and is not published/);
    assert.deepEqual(run.json<{ attestations: string[] }>().attestations, ["app/1.2.0/app-1.2.0.tar.gz.intoto.jsonl"]);
  });
});

describe("release add without a release policy", () => {
  it("refuses attestations nothing would check, and works as before without them", async (t) => {
    const dir = await initRepo(t);
    const [a] = (await makeBuilders(path.dirname(dir), ["A"])) as [Builder];
    const artifact = writeArtifact(path.dirname(dir), "app-1.0.0.tar.gz", genuineBuild("1.0.0"));
    const run = await releaseAdd(dir, artifact, "1.0.0", [await attest(a, artifact)]);
    assert.equal(run.code, 2);
    assert.equal(errorOf(run).code, "NO_RELEASE_POLICY");
    assert.match(run.stderr, /bulwark policy set/);
    const plain = await runCli(["release", "add", dir, artifact, "--name", "app", "--version", "1.0.0"]);
    assert.equal(plain.code, 0, plain.stderr);
  });
});
