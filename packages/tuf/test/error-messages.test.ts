/**
 * Errors a person can act on: a format error names the file and the role (a delegated role
 * by its own name, not `targets`), a root by its version; a file longer or shorter than its
 * signed length is one error saying which; a file whose hashes this client cannot compute has
 * its own code; a byte-order mark is named, not printed as an invisible character.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  HashVerifier,
  MetadataFormatError,
  parseJson,
  TargetFile,
  UnsupportedHashError,
  verifyHashes,
} from "../src/index.js";
import { DEV_TARGET, makeEnv, publishDev, published, runAttack, touchAndPublish } from "./attacks-kit.js";

/** `bytes` with the `expires` value of its signed part replaced by `"tomorrow"` (a format error). */
function badExpires(bytes: Uint8Array): Buffer {
  const text = Buffer.from(bytes).toString("utf8");
  const bad = text.replace(/"expires":"[^"]*"/, '"expires":"tomorrow"');
  assert.notEqual(bad, text);
  return Buffer.from(bad);
}

describe("a format error names the file and the role (the mistake: `targets.…` for a delegated role)", () => {
  it("a delegated role's format error says `2.dev.json: dev.signed.expires`", (t) =>
    runAttack(t, {
      name: "malformed delegated role",
      env: { metaHashes: false },
      stage: (env) => publishDev(env),
      attack: async (env) => {
        await touchAndPublish(env, "dev");
        env.sim.overrides.set("metadata/2.dev.json", badExpires(published(env.repo, "dev")));
      },
      act: (env) => env.updater().getTargetInfo(DEV_TARGET),
      error: { type: MetadataFormatError, code: "TUF_BAD_METADATA", message: /^2\.dev\.json: dev\.signed\.expires / },
      advances: ["timestamp", "snapshot"],
    }).then(() => undefined));

  it("a new root's format error names its version's file", (t) =>
    runAttack(t, {
      name: "malformed root",
      attack: async (env) => {
        env.repo.rotateRoot();
        await env.publish();
        env.sim.overrides.set("metadata/2.root.json", badExpires(published(env.repo, "root")));
      },
      error: { type: MetadataFormatError, code: "TUF_BAD_METADATA", message: /^2\.root\.json: root\.signed\.expires / },
    }).then(() => undefined));

  it("a timestamp that is not JSON says which file it is", (t) =>
    runAttack(t, {
      name: "not JSON",
      attack: async (env) => {
        env.sim.overrides.set("metadata/timestamp.json", Buffer.from("<html>502 Bad Gateway</html>"));
      },
      error: {
        type: MetadataFormatError,
        code: "TUF_BAD_METADATA",
        message: /^timestamp\.json: the document is not valid JSON/,
      },
    }).then(() => undefined));
});

describe("a leading byte-order mark is named (the mistake: an invisible character in the message)", () => {
  it("parseJson says the document starts with a byte-order mark", () => {
    assert.throws(
      () => parseJson(Buffer.from("\uFEFF{}", "utf8")),
      (e: unknown) =>
        e instanceof Error &&
        /starts with a byte-order mark \(U\+FEFF\)/.test(e.message) &&
        !e.message.includes("\uFEFF"),
    );
  });

  it("the client names it for a timestamp saved by an editor that adds one", (t) =>
    runAttack(t, {
      name: "BOM",
      attack: async (env) => {
        const bytes = published(env.repo, "timestamp");
        env.sim.overrides.set("metadata/timestamp.json", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]));
      },
      error: {
        type: MetadataFormatError,
        code: "TUF_BAD_METADATA",
        message: /^timestamp\.json: .*byte-order mark \(U\+FEFF\)/,
      },
    }).then(() => undefined));
});

describe("hashes in an algorithm the client cannot compute have their own code (the mistake: a hash mismatch)", () => {
  it("refuses a target listed only with an unknown algorithm with TUF_UNSUPPORTED_HASH_ALGORITHM, naming the algorithms", () => {
    const hashes = new Map([["blake3", "00".repeat(32)]]);
    assert.throws(
      () => new HashVerifier(hashes, 'target "app.tar.gz"'),
      (e: unknown) =>
        e instanceof UnsupportedHashError &&
        e.code === "TUF_UNSUPPORTED_HASH_ALGORITHM" &&
        /only hash algorithms this client cannot compute \(blake3\); supported: sha256/.test(e.message),
    );
    assert.throws(() => verifyHashes(Buffer.from("x"), hashes, "file"), { code: "TUF_UNSUPPORTED_HASH_ALGORITHM" });
  });

  it("the client refuses to download such a target, with that code", async (t) => {
    const env = await makeEnv(t);
    const data = Buffer.from("app");
    env.repo.addTarget({ path: "app.tar.gz", data });
    const listed = env.repo.targets().signed.targets.get("app.tar.gz") as TargetFile;
    env.repo
      .targets()
      .signed.targets.set(
        "app.tar.gz",
        new TargetFile(listed.path, listed.length, new Map([["blake3", "00".repeat(32)]])),
      );
    await env.publish({ force: true });
    const u = await env.refresh();
    const info = await u.getTargetInfo("app.tar.gz");
    assert.ok(info);
    await assert.rejects(u.downloadTarget(info), { code: "TUF_UNSUPPORTED_HASH_ALGORITHM" });
  });
});

describe("tuf-conformance-client with no arguments (the mistake: a bare error)", () => {
  it("prints its usage on stderr and exits 1", () => {
    const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../../bin/tuf-conformance-client");
    const run = spawnSync(bin, [], { encoding: "utf8" });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^usage:\n {2}tuf-conformance-client --metadata-dir DIR init TRUSTED_ROOT\n/);
    assert.equal(run.stdout, "");
  });
});
