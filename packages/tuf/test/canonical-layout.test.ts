import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { topLevelSigners } from "@bulwark/testkit";
import fc from "fast-check";
import {
  BulwarkError,
  canonicalize,
  Metadata,
  PrivateKeySigner,
  Repository,
  Signature,
  TargetFile,
  Targets,
  TrustedMetadataSet,
  UnsignedMetadataError,
} from "../src/index.js";

async function published() {
  const signers = topLevelSigners();
  const repo = await Repository.create({ signers });
  repo.addTarget({ path: "a.txt", data: Buffer.from("a") });
  await repo.publish();
  const set = new TrustedMetadataSet(repo.publishedBytes("root") as Buffer);
  set.updateTimestamp(repo.publishedBytes("timestamp") as Buffer);
  set.updateSnapshot(repo.publishedBytes("snapshot") as Buffer);
  return { repo, set, signers };
}

describe("canonical file layout (ADR 4)", () => {
  it("writes signed as exactly the canonical bytes the signatures cover", async () => {
    const { repo } = await published();
    const bytes = repo.publishedBytes("targets") as Buffer;
    const md = Metadata.fromBytes(bytes, "targets");
    assert.ok(md.parsedSignedBytes, "the layout is recognised");
    assert.ok(Buffer.from(md.parsedSignedBytes).equals(md.signedBytes()));
    assert.deepEqual(JSON.parse(bytes.toString()), md.toJSON(), "still plain JSON for other readers");
  });

  it("rejects a tampered signed part (one byte changed inside the canonical bytes)", async () => {
    const { repo, set } = await published();
    const bytes = Buffer.from(repo.publishedBytes("targets") as Buffer);
    const at = bytes.indexOf('"length":1');
    bytes.write("2", at + '"length":'.length);
    // Length and hash checks against snapshot come first; bypass them to reach signatures.
    const md = Metadata.fromBytes(bytes, "targets");
    assert.throws(() => set.root.verifyDelegate("targets", md, md.parsedSignedBytes), UnsignedMetadataError);
    assert.throws(() => set.root.verifyDelegate("targets", md), UnsignedMetadataError);
  });

  it('falls back to the whole document when a signature carries a nested "signed" key', async () => {
    const signer = PrivateKeySigner.generate();
    const md = new Metadata(new Targets({ version: 1 }));
    md.signed.addTarget(TargetFile.fromData("x", Buffer.from("x")));
    const bytes = md.signedBytes();
    // Inside strings the separator is always escaped; an unknown nested field is the one
    // place `,"signed":` can appear before the real one.
    md.signatures.set("k", new Signature("k", "00", { extra: { a: 1, signed: 2 } }));
    await md.sign(signer, { signedBytes: bytes });
    const file = md.toCanonicalLayoutBytes(bytes);
    const back = Metadata.fromBytes(file, "targets");
    assert.equal(back.parsedSignedBytes, undefined, "the split failed and the whole document was parsed");
    assert.ok(canonicalize(back.signed.toJSON()).equals(bytes));
    assert.equal(back.signatures.size, 2);
  });

  it("verifies a layout-shaped file whose signed part is not canonical through the model", async () => {
    const signer = PrivateKeySigner.generate();
    const md = new Metadata(new Targets({ version: 1 }));
    await md.sign(signer);
    const sig = [...md.signatures.values()].map((s) => s.toJSON());
    // Same content, keys in another order: not the signed bytes, so verification must go
    // through canonical JSON made from the model.
    const shuffled = JSON.stringify({ version: 1, _type: "targets", ...md.signed.toJSON() });
    const file = Buffer.from(`{"signatures":${JSON.stringify(sig)},"signed":${shuffled}}`);
    const back = Metadata.fromBytes(file, "targets");
    assert.ok(back.parsedSignedBytes);
    const root = new Metadata(new (await import("../src/index.js")).Root());
    root.signed.addKey(signer.publicKey, "targets", signer.keyId);
    assert.throws(() => root.verifyDelegate("targets", back, back.parsedSignedBytes), UnsignedMetadataError);
    root.verifyDelegate("targets", back);
  });

  it("signing clears the parsed bytes, so a modified model is never verified as the old bytes", async () => {
    const { repo } = await published();
    const md = Metadata.fromBytes(repo.publishedBytes("targets") as Buffer, "targets");
    assert.ok(md.parsedSignedBytes);
    await md.sign(PrivateKeySigner.generate());
    assert.equal(md.parsedSignedBytes, undefined);
  });

  it("parses arbitrary bytes in the layout's frame into a model or a typed error (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (a, b) => {
        const file = Buffer.concat([Buffer.from('{"signatures":'), a, Buffer.from(',"signed":'), b, Buffer.from("}")]);
        try {
          Metadata.fromBytes(file);
        } catch (error) {
          assert.ok(error instanceof BulwarkError && error.code.length > 0, String(error));
        }
      }),
      { numRuns: 500 },
    );
  });
});
