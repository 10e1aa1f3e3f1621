/**
 * Throwaway code-signing identities and an Authenticode signer for the test corpus: a fresh RSA
 * key (node:crypto) and a self-signed certificate built with pkijs, and a PKCS#7 SignedData over
 * a PE's Authenticode digest, as signtool or osslsigncode would write it.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { authenticodeDigest } from "../../src/binary/authenticode-hash.js";
import { readTlvHeader } from "../../src/binary/der.js";
import { readPe } from "../../src/binary/pe.js";

/** A throwaway signer: its private key, its self-signed certificate (DER and PEM). */
export interface SigningIdentity {
  readonly commonName: string;
  readonly key: KeyObject;
  readonly cert: Uint8Array;
  readonly certPem: string;
}

const OID = {
  commonName: "2.5.4.3",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  rsaEncryption: "1.2.840.113549.1.1.1",
  sha256: "2.16.840.1.101.3.4.2.1",
  extKeyUsage: "2.5.29.37",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  signedData: "1.2.840.113549.1.7.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  spcIndirectData: "1.3.6.1.4.1.311.2.1.4",
  spcPeImageData: "1.3.6.1.4.1.311.2.1.15",
  spcSpOpusInfo: "1.3.6.1.4.1.311.2.1.12",
} as const;

function algorithm(oid: string): pkijs.AlgorithmIdentifier {
  return new pkijs.AlgorithmIdentifier({ algorithmId: oid, algorithmParams: new asn1js.Null() });
}

function name(commonName: string): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: [
      new pkijs.AttributeTypeAndValue({ type: OID.commonName, value: new asn1js.Utf8String({ value: commonName }) }),
    ],
  });
}

/** A fresh RSA-2048 key and a self-signed code-signing certificate for `commonName`. */
export function makeSigningIdentity(commonName: string): SigningIdentity {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const cert = new pkijs.Certificate();
  cert.version = 2;
  const serial = randomBytes(8);
  serial[0] = (serial[0] ?? 0) & 0x7f; // positive
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.issuer = name(commonName);
  cert.subject = name(commonName);
  const now = Date.now();
  cert.notBefore.value = new Date(now - 24 * 3600 * 1000);
  cert.notAfter.value = new Date(now + 365 * 24 * 3600 * 1000);
  cert.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(publicKey.export({ type: "spki", format: "der" }));
  cert.extensions = [
    new pkijs.Extension({
      extnID: OID.extKeyUsage,
      critical: false,
      extnValue: new pkijs.ExtKeyUsage({ keyPurposes: [OID.codeSigning] }).toSchema().toBER(false),
    }),
  ];
  cert.signature = algorithm(OID.sha256WithRsa);
  cert.signatureAlgorithm = algorithm(OID.sha256WithRsa);
  const tbs = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.tbsView = tbs;
  cert.signatureValue = new asn1js.BitString({ valueHex: sign("sha256", tbs, privateKey) });
  const der = new Uint8Array(cert.toSchema().toBER(false));
  const b64 = Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n");
  return {
    commonName,
    key: privateKey,
    cert: der,
    certPem: `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith("\n") ? "" : "\n"}-----END CERTIFICATE-----\n`,
  };
}

/** How to sign a PE, and what to smuggle around the signature (the CVE-2013-3900 shapes). */
export interface PeSigning {
  readonly key: KeyObject;
  readonly cert: Uint8Array;
  /** Bytes appended after the PKCS#7 blob inside the WIN_CERTIFICATE entry (its dwLength grows to cover them). */
  readonly appendToCertTable?: Uint8Array;
  /** Bytes written after the certificate table, at the end of the file. */
  readonly overlayAfterTable?: Uint8Array;
}

/** The DER of an Authenticode SignedData over `digest` (SHA-256). */
export function authenticodeSignedData(digest: Uint8Array, signing: Pick<PeSigning, "key" | "cert">): Uint8Array {
  const cert = pkijs.Certificate.fromBER(signing.cert);
  const obsolete = new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 2 },
    value: [new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: utf16be("<<<Obsolete>>>") })],
  });
  const spc = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          new asn1js.ObjectIdentifier({ value: OID.spcPeImageData }),
          new asn1js.Sequence({
            value: [
              new asn1js.BitString({ valueHex: new Uint8Array(0) }),
              new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: [obsolete] }),
            ],
          }),
        ],
      }),
      new asn1js.Sequence({
        value: [algorithm(OID.sha256).toSchema(), new asn1js.OctetString({ valueHex: digest })],
      }),
    ],
  });
  const spcDer = new Uint8Array(spc.toBER(false));
  const header = readTlvHeader(spcDer);
  if (!header) throw new Error("unreachable: our own SpcIndirectDataContent has no header");
  const messageDigest = createHash("sha256").update(spcDer.subarray(header.headerLength)).digest();
  const attributes = [
    new pkijs.Attribute({
      type: OID.contentType,
      values: [new asn1js.ObjectIdentifier({ value: OID.spcIndirectData })],
    }),
    new pkijs.Attribute({ type: OID.spcSpOpusInfo, values: [new asn1js.Sequence({ value: [] })] }),
    new pkijs.Attribute({ type: OID.messageDigest, values: [new asn1js.OctetString({ valueHex: messageDigest })] }),
  ].sort((a, b) => Buffer.compare(Buffer.from(a.toSchema().toBER(false)), Buffer.from(b.toSchema().toBER(false))));
  // DER orders a SET OF by encoding; verifiers re-encode the attributes before checking the signature.
  const signedAttrsDer = new asn1js.Set({ value: attributes.map((a) => a.toSchema()) }).toBER(false);
  const signature = sign("sha256", new Uint8Array(signedAttrsDer), signing.key);
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
    digestAlgorithm: algorithm(OID.sha256),
    signedAttrs: new pkijs.SignedAndUnsignedAttributes({ type: 0, attributes }),
    signatureAlgorithm: algorithm(OID.rsaEncryption),
    signature: new asn1js.OctetString({ valueHex: signature }),
  });
  const signedData = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [algorithm(OID.sha256)],
    // Authenticode puts the SpcIndirectDataContent SEQUENCE itself in eContent, not an OCTET STRING;
    // pkijs encodes whatever element it is given there.
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: OID.spcIndirectData,
      eContent: spc as unknown as asn1js.OctetString,
    }),
    certificates: [cert],
    signerInfos: [signerInfo],
  });
  const contentInfo = new pkijs.ContentInfo({ contentType: OID.signedData, content: signedData.toSchema(true) });
  return new Uint8Array(contentInfo.toSchema().toBER(false));
}

/**
 * Signs an unsigned PE: pads it to 8 bytes, hashes it, appends a certificate table with one
 * WIN_CERTIFICATE (revision 2.0, PKCS_SIGNED_DATA), points the security directory at it and
 * fixes the checksum.
 */
export function signPe(unsigned: Uint8Array, signing: PeSigning, checksum: (bytes: Uint8Array) => void): Uint8Array {
  const image = Buffer.concat([unsigned, new Uint8Array((8 - (unsigned.length % 8)) % 8)]);
  const pe = readPe(image, "unsigned.exe");
  const der = authenticodeSignedData(authenticodeDigest(pe, "sha256"), signing);
  const appended = signing.appendToCertTable ?? new Uint8Array(0);
  const dwLength = 8 + der.length + appended.length;
  const entry = Buffer.alloc(dwLength + ((8 - (dwLength % 8)) % 8));
  entry.writeUInt32LE(dwLength, 0);
  entry.writeUInt16LE(0x0200, 4);
  entry.writeUInt16LE(0x0002, 6);
  entry.set(der, 8);
  entry.set(appended, 8 + der.length);
  const security = pe.directories[4];
  if (!security) throw new Error("the PE has no security directory entry");
  image.writeUInt32LE(image.length, security.entryOffset);
  image.writeUInt32LE(entry.length, security.entryOffset + 4);
  const signed = new Uint8Array(Buffer.concat([image, entry, signing.overlayAfterTable ?? new Uint8Array(0)]));
  checksum(signed);
  return signed;
}

function utf16be(text: string): Uint8Array {
  const out = Buffer.from(text, "utf16le");
  out.swap16();
  return new Uint8Array(out);
}
