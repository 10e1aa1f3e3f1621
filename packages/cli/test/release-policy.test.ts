/**
 * The release policy in root metadata: `bulwark policy set|show`, its refusals (duplicate
 * builder keys, one key under two builder IDs, a threshold above the builders, a builder
 * holding a repository key), the offline root flow, tuf-js 5.0.1 accepting a root that
 * carries it, and a stolen targets key failing to change it.
 */
import assert from "node:assert/strict";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { policyToJSON, RELEASE_POLICY_FIELD } from "@bulwark/attest";
import { CLIENT_ERRORS } from "@bulwark/client";
import { type KeyEntry, privateKeyFromPem } from "@bulwark/publisher";
import { Key, Metadata, type SignatureScheme } from "@bulwark/tuf";
import { listWithStolenKeys } from "../src/quickstart/stolen-keys.js";
import { APP, endpoint, tufJsPeer } from "./e2e-helpers.js";
import { initRepo, PASSPHRASE_ENV, runCli, tempDir } from "./helpers.js";
import {
  attest,
  type Builder,
  errorOf,
  genuineBuild,
  makeBuilders,
  ok,
  openRepo,
  refusedInstall,
  releaseAdd,
  SOURCE,
  setPolicy,
  trojanBuild,
  vendorWithPolicy,
  writeArtifact,
} from "./verified-builds-helpers.js";

type PolicyJson = { products: Record<string, { threshold: number; builders: Array<{ id: string }> }> };

function keyEntries(dir: string): KeyEntry[] {
  return (JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as { keys: KeyEntry[] }).keys;
}

describe("bulwark policy set and show", () => {
  it("stages the policy in the next root, shows it staged and then published, and removes it", async (t) => {
    const dir = await initRepo(t);
    const builders = await makeBuilders(path.dirname(dir), ["A", "B", "C"]);
    const set = await setPolicy(dir, builders, 2, ["--json"]);
    assert.equal(set.code, 0, set.stderr);
    const data = set.json<{ changed: boolean; staged: string[]; root: { version: number } }>();
    assert.deepEqual([data.changed, data.staged, data.root.version], [true, ["root"], 2]);
    const staged = (await runCli(["policy", "show", dir, "--json"])).json<{
      published: { policy: unknown };
      staged: { version: number; policy: PolicyJson };
    }>();
    assert.equal(staged.published.policy, null);
    assert.equal(staged.staged.version, 2);
    assert.equal(staged.staged.policy.products.app?.threshold, 2);
    const again = await setPolicy(dir, builders, 2, ["--json"]);
    assert.equal(again.json<{ changed: boolean }>().changed, false, "the same policy again changes nothing");

    await ok(["repo", "publish", dir]);
    const shown = await runCli(["policy", "show", dir]);
    assert.match(shown.stdout, /published root \(version 2\):\nproduct.*\napp +2 of 3 +https:\/\/builder-a\.example/);
    const root = Metadata.fromBytes(readFileSync(path.join(dir, "public", "metadata", "2.root.json")), "root");
    const field = root.signed.unrecognized[RELEASE_POLICY_FIELD] as PolicyJson;
    assert.deepEqual(
      field.products.app?.builders.map((b) => b.id),
      builders.map((b) => b.id),
    );

    await ok(["policy", "set", dir, "--product", APP, "--remove"]);
    await ok(["repo", "publish", dir]);
    const gone = Metadata.fromBytes(readFileSync(path.join(dir, "public", "metadata", "3.root.json")), "root");
    assert.equal(Object.hasOwn(gone.signed.unrecognized, RELEASE_POLICY_FIELD), false);
  });

  it("refuses duplicate builder keys, a key under two builder IDs, an impossible threshold and repository keys", async (t) => {
    const dir = await initRepo(t, ["--root-keys", "1", "--root-threshold", "1"]);
    const [a, b] = (await makeBuilders(path.dirname(dir), ["A", "B"])) as [Builder, Builder];
    // A's key again, as PEM this time: the same key material in another format.
    const pem = path.join(path.dirname(dir), "a-again.pub.pem");
    const aKey = Key.fromJSON(JSON.parse(readFileSync(a.pub, "utf8")), "a");
    writeFileSync(pem, aKey.publicKey().export({ type: "spki", format: "pem" }));
    const targetsKey = keyEntries(dir).find((e) => e.roles.includes("targets") && "file" in e);
    assert.ok(targetsKey && "file" in targetsKey);
    const targetsPub = path.join(path.dirname(dir), "targets.pub.pem");
    const signer = await privateKeyFromPem(
      readFileSync(path.join(dir, targetsKey.file)),
      targetsKey.file,
      async () => PASSPHRASE_ENV.BULWARK_PASSPHRASE,
      targetsKey.scheme as SignatureScheme,
    );
    writeFileSync(targetsPub, signer.publicKey.publicKey().export({ type: "spki", format: "pem" }));

    const cases: ReadonlyArray<{ name: string; builders: string[]; threshold: string; code: string; message: RegExp }> =
      [
        {
          name: "the same key file twice for one builder",
          builders: [`${a.id}=${a.pub}`, `${a.id}=${a.pub}`, `${b.id}=${b.pub}`],
          threshold: "2",
          code: "BAD_POLICY",
          message: /is given twice for builder https:\/\/builder-a\.example/,
        },
        {
          name: "one key under two builder IDs",
          builders: [`${a.id}=${a.pub}`, `${b.id}=${pem}`],
          threshold: "2",
          code: "BAD_POLICY",
          message: /is also a key of builder "https:\/\/builder-a\.example": builders must not share keys/,
        },
        {
          name: "a threshold above the number of builders",
          builders: [`${a.id}=${a.pub}`, `${b.id}=${b.pub}`],
          threshold: "3",
          code: "CLI_USAGE",
          message: /--threshold must be a whole number from 1 to 2/,
        },
        {
          name: "a builder holding the repository's targets key",
          builders: [`${a.id}=${a.pub}`, `${b.id}=${targetsPub}`],
          threshold: "2",
          code: "BUILDER_KEY_IS_REPOSITORY_KEY",
          message: /is also a repository key \(targets/,
        },
        {
          name: "a malformed --builder",
          builders: [a.pub],
          threshold: "1",
          code: "CLI_USAGE",
          message: /is not ID=KEYFILE/,
        },
      ];
    for (const c of cases) {
      const run = await runCli([
        ...["policy", "set", dir, "--product", APP, "--threshold", c.threshold, "--json"],
        ...c.builders.flatMap((spec) => ["--builder", spec]),
      ]);
      assert.equal(run.code, 2, `${c.name}: ${run.stderr}`);
      const error = errorOf(run);
      assert.equal(error.code, c.code, `${c.name}: ${error.message}`);
      assert.match(error.message, c.message, c.name);
    }
    const status = (await runCli(["policy", "show", dir, "--json"])).json<{ staged?: unknown }>();
    assert.equal(status.staged, undefined, "nothing was staged");
  });

  it("needs the root keys: with them offline, publish exits 3 until signed offline, then the policy is published", async (t) => {
    const dir = await initRepo(t, []);
    const builders = await makeBuilders(path.dirname(dir), ["A", "B"]);
    // The root keys go to a vault (another machine, in real life).
    const vault = tempDir(t, "bulwark-vault-");
    const config = JSON.parse(readFileSync(path.join(dir, "bulwark.json"), "utf8")) as { keys: KeyEntry[] };
    const rootKeys: string[] = [];
    config.keys = config.keys.map((e) => {
      if (!e.roles.includes("root") || !("file" in e)) return e;
      const to = path.join(vault, path.basename(e.file));
      renameSync(path.join(dir, e.file), to);
      rootKeys.push(to);
      return { id: e.id, roles: e.roles, scheme: e.scheme, offline: true as const };
    });
    writeFileSync(path.join(dir, "bulwark.json"), JSON.stringify(config, null, 2));

    const set = await setPolicy(dir, builders, 2);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /Some root keys are offline/);
    const refused = await runCli(["repo", "publish", dir]);
    assert.equal(refused.code, 3, refused.stderr);
    assert.match(refused.stderr, /ROOT_SIGNATURES_NEEDED[\s\S]*hint: .*repo export.*bulwark sign.*repo import/);

    const file = path.join(vault, "root-2.json");
    await ok(["repo", "export", dir, file]);
    for (const key of rootKeys.slice(0, 2)) await ok(["sign", file, "--key", key]);
    await ok(["repo", "import", dir, file]);
    await ok(["repo", "publish", dir]);
    const shown = (await runCli(["policy", "show", dir, "--json"])).json<{
      published: { version: number; policy: PolicyJson };
    }>();
    assert.equal(shown.published.version, 2);
    assert.equal(shown.published.policy.products.app?.threshold, 2);
  });
});

describe("the release policy and other clients", () => {
  it("is accepted by tuf-js 5.0.1: a root carrying it updates and verifies targets as before", async (t) => {
    const { vendor, builders } = await vendorWithPolicy(t);
    const artifact = writeArtifact(vendor.work, "app-1.2.0.tar.gz", genuineBuild("1.2.0"));
    const [a, b] = builders as [Builder, Builder];
    const add = await releaseAdd(vendor.dir, artifact, "1.2.0", [await attest(a, artifact), await attest(b, artifact)]);
    assert.equal(add.code, 0, add.stderr);
    await vendor.publish();

    const { updater, targetDir, trustedRoot: trusted } = await tufJsPeer(t, vendor);
    assert.equal(trusted.signed.version, 2);
    assert.ok(trusted.signed[RELEASE_POLICY_FIELD], "tuf-js trusts root 2, policy field and all");
    for (const target of ["app/1.2.0/app-1.2.0.tar.gz", "app/1.2.0/app-1.2.0.tar.gz.intoto.jsonl"]) {
      const info = await updater.getTargetInfo(target);
      assert.ok(info, target);
      const file = await updater.downloadTarget(info, path.join(targetDir, path.basename(target)));
      assert.ok(readFileSync(file).length > 0);
    }
  });

  it("cannot be changed with a stolen targets key: a forged root is refused, a policy in targets is ignored", async (t) => {
    const { vendor } = await vendorWithPolicy(t);
    const [x] = (await makeBuilders(vendor.work, ["X"])) as [Builder];
    const targetsKey = keyEntries(vendor.dir).find((e) => e.roles.includes("targets") && "file" in e);
    assert.ok(targetsKey && "file" in targetsKey && !targetsKey.roles.includes("root"));
    const stolen = await privateKeyFromPem(
      readFileSync(path.join(vendor.dir, targetsKey.file)),
      targetsKey.file,
      async () => PASSPHRASE_ENV.BULWARK_PASSPHRASE,
      targetsKey.scheme as SignatureScheme,
    );
    const xKey = Key.fromJSON(JSON.parse(readFileSync(x.pub, "utf8")), "x");
    const lowered = policyToJSON({
      products: new Map([
        [
          APP,
          {
            builders: [{ id: x.id, keys: new Map([[xKey.computeKeyId(), xKey]]) }],
            threshold: 1,
            require: { artifactSha256: true, sourceDigest: true },
          },
        ],
      ]),
      default: undefined,
    });
    // The attacker's own builder X attests the trojan, and the policy is put in targets.
    const trojan = writeArtifact(vendor.work, "app-6.6.6.tar.gz", trojanBuild("6.6.6"));
    const byX = await attest(x, trojan);
    const repoDir = await openRepo(vendor.dir);
    await repoDir.locked(async () => {
      const repo = await repoDir.load();
      repo.targets().signed.unrecognized = { [RELEASE_POLICY_FIELD]: lowered };
      repo.touch("targets");
      await repoDir.stage(repo);
      await repoDir.publish(repo);
    });
    await listWithStolenKeys(await openRepo(vendor.dir), {
      name: APP,
      version: "6.6.6",
      fileName: "app-6.6.6.tar.gz",
      bytes: readFileSync(trojan),
      bundle: readFileSync(byX),
      custom: { source: SOURCE },
    });
    const ep = endpoint(t, vendor);
    await refusedInstall(
      ep,
      "6.6.6",
      CLIENT_ERRORS.NO_BUILD_QUORUM,
      /no attestation from: https:\/\/builder-a\.example/,
    );

    // A root version with the lowered policy, signed with the targets key: not a root.
    const published = Metadata.fromBytes(
      readFileSync(path.join(vendor.dir, "public", "metadata", "2.root.json")),
      "root",
    );
    published.signed.version = 3;
    published.signed.unrecognized = { [RELEASE_POLICY_FIELD]: lowered };
    published.signatures.clear();
    await published.sign(stolen);
    writeFileSync(path.join(vendor.dir, "public", "metadata", "3.root.json"), published.toCanonicalLayoutBytes());
    await assert.rejects(ep.client.releases(), { code: "TUF_UNSIGNED_METADATA" });
  });
});
