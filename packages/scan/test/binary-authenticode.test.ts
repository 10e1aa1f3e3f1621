import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { before, describe, test } from "node:test";
import { authenticodeDigest } from "../src/binary/authenticode-hash.js";
import { analyzeBinary, checkSignature } from "../src/binary/index.js";
import { DIRECTORY, readPe } from "../src/binary/pe.js";
import { makeSigningIdentity, type SigningIdentity, writePe } from "./corpus/index.js";
import { hasTool, missing, runTool } from "./corpus/oracle.js";

let signer: SigningIdentity;
let other: SigningIdentity;
before(() => {
  signer = makeSigningIdentity("Bulwark Test Signer");
  other = makeSigningIdentity("Someone Else");
});

function d3dcompiler(
  sign?: Partial<Parameters<typeof writePe>[0]["sign"]> & { identity?: SigningIdentity },
): Uint8Array {
  const identity = sign?.identity ?? signer;
  return writePe({
    dll: true,
    sections: [{ name: ".text", data: randomBytes(2000), executable: true }],
    imports: [{ dll: "kernel32.dll", functions: ["CreateFileW"] }],
    version: { FileVersion: "10.0.20348.1", OriginalFilename: "d3dcompiler_47.dll" },
    sign: { key: identity.key, cert: identity.cert, ...sign },
  });
}

function table(bytes: Uint8Array): { offset: number; size: number } {
  const dir = readPe(bytes, "x").directories[DIRECTORY.security];
  assert.ok(dir);
  return { offset: dir.rva, size: dir.size };
}

const ids = (findings: readonly { id: string }[]): string[] => findings.map((f) => f.id).sort();

function osslsigncode(bytes: Uint8Array, ca: string): { output: string; status: number | null } {
  return runTool("osslsigncode", (f) => ["verify", "-CAfile", f["ca.pem"] ?? "", "-in", f["a.dll"] ?? ""], {
    "a.dll": bytes,
    "ca.pem": ca,
  });
}

describe("Authenticode", () => {
  test("a signed PE verifies: digest, signer signature, signer subject, issuer and serial", async () => {
    const bytes = d3dcompiler();
    const { info, findings } = await checkSignature(bytes, "d3dcompiler_47.dll");
    assert.deepEqual(findings, []);
    assert.equal(info.present, true);
    assert.equal(info.digestValid, true);
    assert.equal(info.signatureValid, true);
    assert.equal(info.signer, "CN=Bulwark Test Signer");
    assert.equal(info.issuer, "CN=Bulwark Test Signer");
    assert.match(info.serial ?? "", /^[0-9a-f]+$/);
    assert.deepEqual(analyzeBinary(bytes, "d3dcompiler_47.dll").signature, info);
  });

  test("osslsigncode verifies the corpus signature and computes the same Authenticode digest (oracle)", (t) => {
    if (!hasTool("osslsigncode")) return t.skip(missing("osslsigncode", "osslsigncode"));
    const bytes = d3dcompiler();
    const { output, status } = osslsigncode(bytes, signer.certPem);
    assert.equal(status, 0, output);
    assert.match(output, /Signature verification: ok/);
    const ours = authenticodeDigest(readPe(bytes, "x"), "sha256", table(bytes).offset).toString("hex").toUpperCase();
    assert.match(output, new RegExp(`Calculated message digest : ${ours}`));
  });

  test("detects a file changed after signing (digest mismatch), as osslsigncode does", async (t) => {
    const bytes = new Uint8Array(d3dcompiler());
    const text = readPe(bytes, "x").sections[0];
    assert.ok(text);
    bytes[text.rawOffset + 10] = (bytes[text.rawOffset + 10] ?? 0) ^ 0xff;
    const { info, findings } = await checkSignature(bytes, "d3dcompiler_47.dll");
    assert.equal(info.digestValid, false);
    const mismatch = findings.find((f) => f.id === "signature.pe.digest-mismatch");
    assert.equal(mismatch?.severity, "critical");
    assert.notEqual(mismatch?.evidence.signedDigest, mismatch?.evidence.fileDigest);
    if (!hasTool("osslsigncode")) return t.skip(missing("osslsigncode", "osslsigncode"));
    const oracle = osslsigncode(bytes, signer.certPem);
    assert.notEqual(oracle.status, 0);
    assert.match(oracle.output, /MISMATCH|Failed/);
  });

  test("detects data appended after the PKCS#7 blob inside the certificate table (CVE-2013-3900, 3CX d3dcompiler_47.dll), which osslsigncode still calls valid", async (t) => {
    const payload = randomBytes(5000);
    const bytes = d3dcompiler({ appendToCertTable: payload });
    const { info, findings } = await checkSignature(bytes, "d3dcompiler_47.dll");
    assert.equal(info.digestValid, true, "the digest does not cover the table, so it still matches");
    assert.deepEqual(ids(findings), ["signature.pe.cert-table-appended-data"]);
    const [appended] = findings;
    assert.equal(appended?.severity, "high");
    assert.equal(appended?.evidence.appendedSize, payload.length);
    assert.ok(Number(appended?.evidence.appendedEntropy) > 7.9);
    const at = Number(appended?.evidence.appendedOffset);
    assert.deepEqual(bytes.subarray(at, at + payload.length), new Uint8Array(payload));
    if (!hasTool("osslsigncode")) return t.skip(missing("osslsigncode", "osslsigncode"));
    const oracle = osslsigncode(bytes, signer.certPem);
    assert.equal(oracle.status, 0, "osslsigncode accepts the padded table: the trick this check exists for");
    // osslsigncode extracts the PKCS#7 blob alone: it ends exactly where our appended data begins.
    const extracted = runTool(
      "osslsigncode",
      (f) => ["extract-signature", "-in", f["a.dll"] ?? "", "-out", f["sig.der"] ?? ""],
      { "a.dll": bytes },
      ["sig.der"],
    );
    const blob = extracted.written["sig.der"];
    assert.ok(blob, extracted.output);
    const { offset } = table(bytes);
    assert.equal(offset + 8 + blob.length, at);
    assert.deepEqual(bytes.subarray(offset + 8, at), blob);
  });

  test("detects an overlay after the certificate table, which osslsigncode also refuses to treat as signed", async (t) => {
    const overlay = randomBytes(3000);
    const bytes = d3dcompiler({ overlayAfterTable: overlay });
    const { findings } = await checkSignature(bytes, "x.dll");
    assert.deepEqual(ids(findings), ["signature.pe.overlay-after-cert-table"]);
    assert.equal(findings[0]?.evidence.overlaySize, overlay.length);
    assert.equal(findings[0]?.evidence.overlayOffset, bytes.length - overlay.length);
    const info = analyzeBinary(bytes, "x.dll");
    assert.deepEqual(info.overlay && [info.overlay.offset, info.overlay.size], [
      bytes.length - overlay.length,
      overlay.length,
    ]);
    if (!hasTool("osslsigncode")) return t.skip(missing("osslsigncode", "osslsigncode"));
    const oracle = osslsigncode(bytes, signer.certPem);
    assert.notEqual(oracle.status, 0);
    assert.match(oracle.output, /not at the end of the file/);
  });

  test("the overlay counts the bytes before and after the certificate table, never the table", () => {
    const before = randomBytes(1000);
    const after = randomBytes(3000);
    const bytes = writePe({
      sections: [{ name: ".text", data: randomBytes(600), executable: true }],
      imports: [],
      overlay: before,
      sign: { key: signer.key, cert: signer.cert, overlayAfterTable: after },
    });
    const info = analyzeBinary(bytes, "setup.exe");
    const image = readPe(bytes, "x");
    const sectionsEnd = (image.sections[0]?.rawOffset ?? 0) + (image.sections[0]?.rawSize ?? 0);
    // The signer pads the image to 8 bytes before the table: that padding belongs to the overlay too.
    const padding = table(bytes).offset - sectionsEnd - before.length;
    assert.ok(padding >= 0 && padding < 8);
    assert.deepEqual(info.overlay && [info.overlay.offset, info.overlay.size], [
      sectionsEnd,
      before.length + padding + after.length,
    ]);
    assert.equal(info.signature.digestValid, true, "the overlay before the table is signed");
  });

  test("detects a certificate table that is not the last thing in the file (it starts inside the sections)", async () => {
    const bytes = new Uint8Array(d3dcompiler());
    const image = readPe(bytes, "x");
    const { offset, size } = table(bytes);
    const text = image.sections[0];
    assert.ok(text && size < text.rawSize);
    bytes.copyWithin(text.rawOffset, offset, offset + size);
    const security = image.directories[DIRECTORY.security];
    assert.ok(security);
    new DataView(bytes.buffer).setUint32(security.entryOffset, text.rawOffset, true);
    const { findings } = await checkSignature(bytes, "x.dll");
    assert.ok(ids(findings).includes("signature.pe.cert-table-not-last"), ids(findings).join());
    assert.ok(ids(findings).includes("signature.pe.overlay-after-cert-table"));
  });

  test("detects a signer signature that does not hold (a signature made with another key than the certificate's)", async () => {
    const bytes = d3dcompiler({ identity: { ...signer, key: other.key } });
    const { info, findings } = await checkSignature(bytes, "x.dll");
    assert.equal(info.digestValid, true);
    assert.equal(info.signatureValid, false);
    assert.deepEqual(ids(findings), ["signature.pe.signer-signature-invalid"]);
    assert.equal(findings[0]?.severity, "critical");
  });

  test("detects a tampered signature value", async () => {
    const bytes = new Uint8Array(d3dcompiler());
    const { offset } = table(bytes);
    const derLength = new DataView(bytes.buffer).getUint32(offset, true) - 8;
    const last = offset + 8 + derLength - 1; // the SignerInfo's signature ends the DER
    bytes[last] = (bytes[last] ?? 0) ^ 1;
    const { info, findings } = await checkSignature(bytes, "x.dll");
    assert.equal(info.signatureValid, false);
    assert.deepEqual(ids(findings), ["signature.pe.signer-signature-invalid"]);
  });

  test("reports malformed WIN_CERTIFICATE entries: a bad revision, a length past the table, a truncated table, junk instead of PKCS#7", async () => {
    const signed = d3dcompiler();
    const { offset } = table(signed);
    const patched = (patch: (v: DataView) => void): Uint8Array => {
      const copy = new Uint8Array(signed);
      patch(new DataView(copy.buffer));
      return copy;
    };
    const cases: [string, Uint8Array, string][] = [
      ["bad revision", patched((v) => v.setUint16(offset + 4, 0x0300, true)), "signature.pe.cert-entry-malformed"],
      [
        "length past the table",
        patched((v) => v.setUint32(offset, 0x7fffffff, true)),
        "signature.pe.cert-entry-malformed",
      ],
      ["truncated table", signed.subarray(0, signed.length - 100), "signature.pe.cert-table-outside-file"],
      ["junk PKCS#7", patched((v) => v.setUint32(offset + 8 + 20, 0xdeadbeef)), "signature.pe.pkcs7-malformed"],
    ];
    for (const [name, bytes, id] of cases) {
      const { findings } = await checkSignature(bytes, "x.dll");
      assert.ok(ids(findings).includes(id), `${name}: ${ids(findings).join()}`);
      for (const f of findings) assert.equal(f.layer, "signature");
    }
  });

  test("an unsigned PE is reported as such, at info level", async () => {
    const bytes = writePe({ sections: [{ name: ".text", data: new Uint8Array(10), executable: true }], imports: [] });
    const { info, findings } = await checkSignature(bytes, "x.exe");
    assert.deepEqual(info, { present: false });
    assert.deepEqual(
      findings.map((f) => [f.id, f.severity]),
      [["signature.pe.unsigned", "info"]],
    );
  });
});
