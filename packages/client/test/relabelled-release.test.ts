/**
 * Route 2 of issue 12, the relabelled release, at the client: whoever holds the online
 * keys lists an old build, with its real attestations copied, as a new version. Every
 * endpoint would "upgrade" to the old build and then never see a real release below the
 * fake version. The attestations bind the release (file name and version), so the client
 * refuses it with the quorum error.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { before, describe, it } from "node:test";
import {
  buildProvenance,
  buildStatement,
  IN_TOTO_PAYLOAD_TYPE,
  policyToJSON,
  QuorumError,
  RELEASE_POLICY_FIELD,
  SLSA_PROVENANCE_V1,
  serializeEnvelope,
  serializeStatement,
  signEnvelope,
} from "@bulwark/attest";
import { CLIENT_ERRORS, ClientError, formatAttestationBundle } from "@bulwark/client";
import { PrivateKeySigner } from "@bulwark/tuf";
import { APP, clientOf, Vendor } from "./attack-repo.js";

const BUILDERS = ["https://builder-a.example", "https://builder-b.example"].map((id) => ({
  id,
  signer: PrivateKeySigner.generate(),
}));
const SOURCE = "sha1:0123456789abcdef0123456789abcdef01234567";

/** Each builder's attestation of `bytes` as the file `name` of release `version`, in one bundle. */
async function attestations(bytes: Uint8Array, name: string, version: string): Promise<Buffer> {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const envelopes = [];
  for (const b of BUILDERS) {
    const statement = buildStatement({
      subject: [{ name, digest: { sha256 } }],
      predicateType: SLSA_PROVENANCE_V1,
      predicate: buildProvenance({
        buildType: "https://bulwark.example/buildtypes/rebuild/v1",
        builderId: b.id,
        source: { uri: "git+https://git.example/app", digest: { sha1: SOURCE.slice(5) } },
        version,
      }),
    });
    envelopes.push(
      serializeEnvelope(await signEnvelope(IN_TOTO_PAYLOAD_TYPE, serializeStatement(statement), [b.signer])),
    );
  }
  return formatAttestationBundle(envelopes);
}

describe("relabelled release", () => {
  let vendor: Vendor;
  const build120 = Buffer.from("app 1.2.0, as built from source");

  before(async () => {
    vendor = await Vendor.create();
    const root = vendor.repo.rotateRoot();
    root.unrecognized = {
      ...root.unrecognized,
      [RELEASE_POLICY_FIELD]: policyToJSON({
        products: new Map([
          [
            APP,
            {
              builders: BUILDERS.map((b) => ({ id: b.id, keys: new Map([[b.signer.keyId, b.signer.publicKey]]) })),
              threshold: 2,
              require: { artifactSha256: true, sourceDigest: true },
            },
          ],
        ]),
        default: undefined,
      }),
    };
    await vendor.publish();
    await vendor.list({
      version: "1.2.0",
      bytes: build120,
      bundle: await attestations(build120, "app-1.2.0.tar.gz", "1.2.0"),
      custom: { source: SOURCE },
    });
  });

  it("installs the release its builders attested", async (t) => {
    const { client, install } = clientOf(t, vendor);
    assert.deepEqual(await client.update(), { action: "installed", to: "1.2.0" });
    assert.equal(install.current, "1.2.0");
  });

  const relabels = [
    {
      name: "as a new version and file name",
      version: "9.0.0",
      fileName: "app-9.0.0.tar.gz",
      why: /its subject is named "app-1\.2\.0\.tar\.gz", not "app-9\.0\.0\.tar\.gz"/,
    },
    {
      name: "as a new version under its old file name",
      version: "9.0.1",
      fileName: "app-1.2.0.tar.gz",
      why: /it attests version "1\.2\.0", not 9\.0\.1/,
    },
  ];
  for (const relabel of relabels) {
    it(`refuses an old attested build relabelled as a new version (relabelled release): ${relabel.name}`, async (t) => {
      // The online keys list 1.2.0's bytes and real attestations as a newer release.
      await vendor.list({
        version: relabel.version,
        fileName: relabel.fileName,
        bytes: build120,
        bundle: await attestations(build120, "app-1.2.0.tar.gz", "1.2.0"),
        custom: { source: SOURCE },
      });
      const { client, install } = clientOf(t, vendor);
      const real = (await client.releases()).find((r) => r.version === "1.2.0");
      assert.ok(real);
      await client.install(real);
      await assert.rejects(client.update(), (error: unknown) => {
        assert.ok(error instanceof ClientError);
        assert.equal(error.code, CLIENT_ERRORS.NO_BUILD_QUORUM);
        assert.match(error.message, /attested by 0 of the 2 independent builders required/);
        assert.match(error.message, relabel.why);
        assert.ok(error.cause instanceof QuorumError);
        assert.deepEqual(error.cause.result.agreeing, []);
        return true;
      });
      assert.equal(install.current, "1.2.0", "the endpoint stays on the real release");
      assert.ok(!install.prepared.has(relabel.version));
    });
  }
});
