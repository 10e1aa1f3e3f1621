import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import {
  buildProvenance,
  buildStatement,
  IN_TOTO_PAYLOAD_TYPE,
  policyToJSON,
  RELEASE_POLICY_FIELD,
  type ReleasePolicy,
  SLSA_PROVENANCE_V1,
  serializeEnvelope,
  serializeStatement,
  signEnvelope,
} from "@bulwark/attest";
import { attestationBundlePath, formatAttestationBundle } from "@bulwark/client";
import { type TestLike, topLevelSigners } from "@bulwark/testkit";
import { addRelease, releaseTargetPath } from "@bulwark/testkit/releases";
import { PrivateKeySigner, Repository, type TargetFile } from "@bulwark/tuf";
import { pollSource, type TufSourceConfig } from "../src/index.js";
import { pollContext, sha256, type VendorServer, vendorServer } from "./sources-helpers.js";

const APP = "app";
const bytesOf = (version: string, variant = "") => Buffer.from(`app ${version}${variant}\n`.repeat(50));

/** A vendor publishing with Bulwark, its repository served over loopback HTTP. */
class Vendor {
  private constructor(
    readonly repo: Repository,
    readonly server: VendorServer,
  ) {}

  static async create(t: TestLike): Promise<Vendor> {
    const repo = await Repository.create({ signers: topLevelSigners() });
    const vendor = new Vendor(repo, await vendorServer(t));
    vendor.sync();
    return vendor;
  }

  sync(): void {
    for (const f of this.repo.files()) this.server.files.set(f.path, f.data);
  }

  async release(
    version: string,
    extra: { attestations?: string[]; source?: string; data?: Buffer } = {},
  ): Promise<TargetFile> {
    const target = addRelease(this.repo, { name: APP, version, data: bytesOf(version), ...extra });
    await this.repo.publish();
    this.sync();
    return target;
  }

  config(): TufSourceConfig {
    return {
      kind: "tuf",
      id: "vendor-app",
      metadataUrl: `${this.server.url}metadata/`,
      targetsUrl: `${this.server.url}targets/`,
      trustedRoot: this.repo.rootVersions()[0] as Buffer,
      product: APP,
    };
  }
}

/** Where a target is served under consistent snapshots. */
function servedPath(target: TargetFile): string {
  const slash = target.path.lastIndexOf("/");
  return `targets/${target.path.slice(0, slash + 1)}${target.hashes.get("sha256")}.${target.path.slice(slash + 1)}`;
}

describe("Bulwark/TUF repository source", () => {
  test("records a release signed under the pinned root; nothing new is fetched twice", async (t) => {
    const vendor = await Vendor.create(t);
    const target = await vendor.release("1.0.0");
    const ctx = pollContext(t);
    const [record] = (await pollSource(vendor.config(), ctx)).records;
    assert.deepEqual([record?.version, record?.status, record?.verifiedBy], ["1.0.0", "verified", "strong"]);
    assert.deepEqual(
      record?.checks.map((c) => [c.check, c.ok]),
      [["tuf-signed", true]],
    );
    assert.equal(record?.artifacts[0]?.sha256, sha256(bytesOf("1.0.0")));
    const again = await pollSource(vendor.config(), ctx);
    assert.deepEqual(again.records, []);
    assert.equal(vendor.server.fetched(servedPath(target)), 1);
  });

  test("rejects a release whose bytes are not the signed ones: suspicious, with the client's refusal", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const ctx = pollContext(t);
    await pollSource(vendor.config(), ctx);
    const target = await vendor.release("1.1.0");
    vendor.server.files.set(servedPath(target), bytesOf("1.1.0", " trojan"));
    const [record] = (await pollSource(vendor.config(), ctx)).records;
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["stopped-verifying"],
    );
    assert.match(record?.checks[0]?.detail ?? "", /^TUF_LENGTH_OR_HASH_MISMATCH/);
  });

  test("rejects metadata signed with another key (wrong signature): the source stops verifying", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const ctx = pollContext(t);
    await pollSource(vendor.config(), ctx);
    const attacker = await Repository.create({ signers: topLevelSigners() });
    await vendor.release("1.1.0");
    vendor.server.files.set("metadata/timestamp.json", attacker.publishedBytes("timestamp") as Buffer);
    const result = await pollSource(vendor.config(), ctx);
    assert.deepEqual(result.records, []);
    assert.deepEqual(
      result.alerts.map((a) => [a.kind, a.evidence.code, a.evidence.lastVerified]),
      [["stopped-verifying", "TUF_UNSIGNED_METADATA", "1.0.0"]],
    );
  });

  test("rejects unsigned metadata (signatures stripped): the source stops verifying", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const ctx = pollContext(t);
    await pollSource(vendor.config(), ctx);
    await vendor.release("1.1.0");
    const timestamp = JSON.parse(
      Buffer.from(vendor.server.files.get("metadata/timestamp.json") as Uint8Array).toString(),
    );
    vendor.server.files.set("metadata/timestamp.json", Buffer.from(JSON.stringify({ ...timestamp, signatures: [] })));
    const result = await pollSource(vendor.config(), ctx);
    assert.deepEqual(result.records, []);
    assert.deepEqual(
      result.alerts.map((a) => [a.kind, a.evidence.code]),
      [["stopped-verifying", "TUF_UNSIGNED_METADATA"]],
    );
  });

  test("rejects the same version with other bytes, even signed with the vendor's targets key", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const ctx = pollContext(t);
    await pollSource(vendor.config(), ctx);
    await vendor.release("1.0.0", { data: bytesOf("1.0.0", " rebuilt with a backdoor") });
    const [record] = (await pollSource(vendor.config(), ctx)).records;
    assert.equal(record?.status, "suspicious");
    assert.deepEqual(
      record?.alerts.map((a) => a.kind),
      ["bytes-changed"],
    );
    assert.ok(
      record?.checks.every((c) => c.ok),
      "the signatures hold: only the history catches it",
    );
  });

  test("rejects a metadata rollback (an older timestamp served again)", async (t) => {
    const vendor = await Vendor.create(t);
    await vendor.release("1.0.0");
    const old = vendor.server.files.get("metadata/timestamp.json") as Uint8Array;
    const ctx = pollContext(t);
    await pollSource(vendor.config(), ctx);
    await vendor.release("1.1.0");
    await pollSource(vendor.config(), ctx);
    vendor.server.files.set("metadata/timestamp.json", old);
    const result = await pollSource(vendor.config(), ctx);
    assert.deepEqual(
      result.alerts.map((a) => [a.kind, a.evidence.code]),
      [["version-rollback", "TUF_BAD_VERSION"]],
    );
  });

  describe("the root's release policy: 2 of 2 builders must attest", () => {
    const builders = ["a", "b"].map((n) => ({
      id: `https://builder-${n}.example`,
      signer: PrivateKeySigner.generate(),
    }));
    const SOURCE = `sha1:${createHash("sha1").update("app v1.0.0").digest("hex")}`;

    async function withPolicy(t: TestLike): Promise<Vendor> {
      const vendor = await Vendor.create(t);
      const root = vendor.repo.rotateRoot();
      const policy: ReleasePolicy = {
        builders: builders.map((b) => ({ id: b.id, keys: new Map([[b.signer.keyId, b.signer.publicKey]]) })),
        threshold: 2,
        require: { artifactSha256: true, sourceDigest: true },
      };
      root.unrecognized = {
        ...root.unrecognized,
        [RELEASE_POLICY_FIELD]: policyToJSON({ products: new Map([[APP, policy]]), default: undefined }),
      };
      await vendor.repo.publish();
      vendor.sync();
      return vendor;
    }

    async function attest(by: (typeof builders)[number], data: Uint8Array): Promise<Buffer> {
      const [alg, hex] = SOURCE.split(":") as [string, string];
      const statement = buildStatement({
        subject: [{ name: "app-1.0.0.bin", digest: { sha256: sha256(data) } }],
        predicateType: SLSA_PROVENANCE_V1,
        predicate: buildProvenance({
          buildType: "https://bulwark.example/buildtypes/rebuild/v1",
          builderId: by.id,
          source: { uri: "git+https://git.example/app@refs/tags/v1.0.0", digest: { [alg]: hex } },
        }),
      });
      return serializeEnvelope(await signEnvelope(IN_TOTO_PAYLOAD_TYPE, serializeStatement(statement), [by.signer]));
    }

    async function releaseAttestedBy(vendor: Vendor, who: typeof builders): Promise<void> {
      const bundle = attestationBundlePath(releaseTargetPath({ name: APP, version: "1.0.0" }));
      const envelopes = await Promise.all(who.map((b) => attest(b, bytesOf("1.0.0"))));
      vendor.repo.addTarget({ path: bundle, data: formatAttestationBundle(envelopes) });
      await vendor.release("1.0.0", { attestations: [bundle], source: SOURCE });
    }

    test("a release both builders attest is recorded with the quorum as evidence", async (t) => {
      const vendor = await withPolicy(t);
      await releaseAttestedBy(vendor, builders);
      const [record] = (await pollSource(vendor.config(), pollContext(t))).records;
      assert.equal(record?.status, "verified");
      assert.deepEqual(
        record?.checks.map((c) => [c.check, c.ok]),
        [
          ["tuf-signed", true],
          ["build-quorum", true],
        ],
      );
    });

    test("rejects a release one builder attests (one compromised build machine)", async (t) => {
      const vendor = await withPolicy(t);
      await releaseAttestedBy(vendor, builders.slice(0, 1));
      const [record] = (await pollSource(vendor.config(), pollContext(t))).records;
      assert.equal(record?.status, "suspicious");
      assert.match(record?.checks[0]?.detail ?? "", /^CLIENT_NO_BUILD_QUORUM/);
      assert.deepEqual(record?.artifacts, []);
    });
  });
});
