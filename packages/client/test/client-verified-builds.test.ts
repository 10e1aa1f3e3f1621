/**
 * Verified builds at install time, against the in-memory repository: the root (offline
 * keys) requires 2 of the independent builders A, B and C to attest a release file built
 * from its signed source digest. UpdateClient counts them itself before a byte of the
 * release is downloaded, so a stolen targets key or one compromised build machine installs
 * nothing.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
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
import { releaseTargetPath } from "@bulwark/testkit/releases";
import { PrivateKeySigner, type TargetFile } from "@bulwark/tuf";
import { attestationBundlePath, CLIENT_ERRORS, ClientError, formatAttestationBundle } from "../src/index.js";
import { APP, defined, endpoint, rejectsWith, releaseBytes, servedPath, setRootField, Vendor } from "./client-kit.js";

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** The release commit every honest builder checks out, and another one. */
const SOURCE = `sha1:${sha1("app v1.2.0")}`;
const OTHER_SOURCE = `sha1:${sha1("app v1.2.0 with an injected change")}`;

interface Builder {
  readonly id: string;
  readonly signer: PrivateKeySigner;
}

function builder(name: string): Builder {
  return { id: `https://builder-${name}.example`, signer: PrivateKeySigner.generate() };
}

/** A DSSE envelope in which `by` attests that `bytes` were built from `source`. */
async function attestation(by: Builder, bytes: Uint8Array, source = SOURCE): Promise<Buffer> {
  const [alg, hex] = source.split(":") as [string, string];
  const statement = buildStatement({
    subject: [{ name: "app-1.2.0.bin", digest: { sha256: sha256(bytes) } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: buildProvenance({
      buildType: "https://bulwark.example/buildtypes/rebuild/v1",
      builderId: by.id,
      source: { uri: "git+https://git.example/app@refs/tags/v1.2.0", digest: { [alg]: hex } },
    }),
  });
  return serializeEnvelope(await signEnvelope(IN_TOTO_PAYLOAD_TYPE, serializeStatement(statement), [by.signer]));
}

/** A vendor whose root version 2 requires `threshold` of `builders` for the product. */
async function vendorWithPolicy(builders: readonly Builder[], threshold = 2): Promise<Vendor> {
  const vendor = await Vendor.create();
  const policy: ReleasePolicy = {
    builders: builders.map((b) => ({ id: b.id, keys: new Map([[b.signer.keyId, b.signer.publicKey]]) })),
    threshold,
    require: { artifactSha256: true, sourceDigest: true },
  };
  setRootField(vendor, RELEASE_POLICY_FIELD, policyToJSON({ products: new Map([[APP, policy]]), default: undefined }));
  await vendor.publish();
  return vendor;
}

/**
 * Lists `1.2.0` with `data` (the genuine build unless told) and one attestation bundle
 * holding `envelopes`, as the vendor (or an attacker with its online keys) would.
 */
async function releaseWith(
  vendor: Vendor,
  envelopes: readonly Buffer[],
  options: { data?: Buffer; source?: string } = {},
): Promise<TargetFile> {
  const bundle = attestationBundlePath(releaseTargetPath({ name: APP, version: "1.2.0" }));
  vendor.repo.addTarget({ path: bundle, data: formatAttestationBundle(envelopes) });
  const [target] = await vendor.release({
    version: "1.2.0",
    data: options.data ?? releaseBytes("1.2.0"),
    source: options.source ?? SOURCE,
    attestations: [bundle],
  });
  return defined(target, "1.2.0");
}

/** Asserts the client refuses to download `1.2.0` with `code`, fetching none of its bytes. */
async function refused(vendor: Vendor, target: TargetFile, code: string, t: { after(fn: () => void): void }) {
  const ep = endpoint(t, vendor);
  const release = defined(await ep.client.check(), "offer");
  const error = await rejectsWith(ep.client.download(release), ClientError, code);
  assert.equal(vendor.sim.requests.includes(servedPath(target)), false, "no byte of the release was fetched");
  return error;
}

describe("UpdateClient verified builds (root release policy, 2 of 3 builders)", () => {
  const [a, b, c] = [builder("a"), builder("b"), builder("c")] as [Builder, Builder, Builder];
  const genuine = releaseBytes("1.2.0");

  it("downloads a release that two of three builders attest", async (t) => {
    const vendor = await vendorWithPolicy([a, b, c]);
    await releaseWith(vendor, [await attestation(a, genuine), await attestation(b, genuine)]);
    const ep = endpoint(t, vendor);
    const release = defined(await ep.client.check(), "offer");
    await ep.client.download(release);
    assert.ok(ep.events.includes("builds-verified"));
  });

  it("refuses a release only one builder attests (one compromised build machine)", async (t) => {
    const vendor = await vendorWithPolicy([a, b, c]);
    const target = await releaseWith(vendor, [await attestation(a, genuine)]);
    const error = await refused(vendor, target, CLIENT_ERRORS.NO_BUILD_QUORUM, t);
    assert.match(error.message, /app 1\.2\.0 is refused/);
  });

  it("refuses a trojan listed with stolen targets keys, whose bytes no builder attests (3CX)", async (t) => {
    const vendor = await vendorWithPolicy([a, b, c]);
    const trojan = releaseBytes("1.2.0", " with a backdoor");
    const target = await releaseWith(vendor, [await attestation(a, genuine), await attestation(b, genuine)], {
      data: trojan,
    });
    await refused(vendor, target, CLIENT_ERRORS.NO_BUILD_QUORUM, t);
  });

  it("refuses a release the builders built from other source than the signed one", async (t) => {
    const vendor = await vendorWithPolicy([a, b, c]);
    const envelopes = [await attestation(a, genuine, OTHER_SOURCE), await attestation(b, genuine, OTHER_SOURCE)];
    const target = await releaseWith(vendor, envelopes);
    await refused(vendor, target, CLIENT_ERRORS.NO_BUILD_QUORUM, t);
  });

  it("counts one builder's key once, however many envelopes it signs (thresholds count distinct keys)", async (t) => {
    const vendor = await vendorWithPolicy([a, b, c]);
    const target = await releaseWith(vendor, [await attestation(a, genuine), await attestation(a, genuine)]);
    await refused(vendor, target, CLIENT_ERRORS.NO_BUILD_QUORUM, t);
  });

  it("refuses a release whose attestation bundle is not a signed target", async (t) => {
    const vendor = await vendorWithPolicy([a, b, c]);
    const [target] = await vendor.release({ version: "1.2.0", source: SOURCE, attestations: ["app/unsigned.jsonl"] });
    const error = await refused(vendor, defined(target, "1.2.0"), CLIENT_ERRORS.NO_BUILD_QUORUM, t);
    assert.match(error.message, /not a signed target/);
  });

  it("refuses a release that names no source digest when the policy requires one", async (t) => {
    const vendor = await vendorWithPolicy([a, b, c]);
    const [target] = await vendor.release({ version: "1.2.0" });
    const error = await refused(vendor, defined(target, "1.2.0"), CLIENT_ERRORS.NO_BUILD_QUORUM, t);
    assert.match(error.message, /requires a source digest/);
  });

  it("refuses every release when the root's release policy does not parse (fail closed)", async (t) => {
    const vendor = await Vendor.create();
    setRootField(vendor, RELEASE_POLICY_FIELD, { products: 7 });
    await vendor.publish();
    const [target] = await vendor.release({ version: "1.2.0" });
    await refused(vendor, defined(target, "1.2.0"), CLIENT_ERRORS.BAD_RELEASE_POLICY, t);
  });

  it("refuses a release that lists more attestation bundles than the client allows", async (t) => {
    const vendor = await vendorWithPolicy([a, b, c]);
    const target = await releaseWith(vendor, [await attestation(a, genuine), await attestation(b, genuine)]);
    const ep = endpoint(t, vendor, { attestationLimits: { maxBundles: 0 } });
    const release = defined(await ep.client.check(), "offer");
    await rejectsWith(ep.client.download(release), ClientError, CLIENT_ERRORS.NO_BUILD_QUORUM, /more than the 0/);
    assert.equal(vendor.sim.requests.includes(servedPath(target)), false);
  });
});
