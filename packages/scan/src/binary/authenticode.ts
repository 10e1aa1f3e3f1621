/**
 * Authenticode verification of a PE ("Windows Authenticode Portable Executable Signature
 * Format"): the PKCS#7 SignedData is parsed with pkijs; its SpcIndirectDataContent digest is
 * compared with the image hash computed here; the signer's signature over the signed attributes
 * and the messageDigest attribute are checked with node:crypto. Chains are not built: there is no
 * trust store offline, and who signed is compared across releases instead.
 */
import { createHash, verify, X509Certificate } from "node:crypto";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import { ScanLimitError } from "../errors.js";
import type { Evidence, Finding, Severity } from "../finding.js";
import { authenticodeDigest, DIGEST_OIDS } from "./authenticode-hash.js";
import { readTlvHeader } from "./der.js";
import { BINARY_LIMITS } from "./limits.js";
import type { PeImage } from "./pe.js";
import { type CertTable, type CertTableProblem, readCertTable } from "./pe-cert-table.js";
import type { SignatureInfo } from "./types.js";

const OID = {
  signedData: "1.2.840.113549.1.7.2",
  spcIndirectData: "1.3.6.1.4.1.311.2.1.4",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  rsaPss: "1.2.840.113549.1.1.10",
} as const;

const PROBLEM_SEVERITY: Readonly<Record<CertTableProblem["kind"], Severity>> = {
  "cert-table-appended-data": "high",
  "overlay-after-cert-table": "high",
  "cert-table-not-last": "high",
  "cert-entry-malformed": "high",
  "cert-table-outside-file": "high",
  "cert-table-misaligned": "medium",
};

/** The result of checking a PE's signature: what it is, and what is wrong with it. */
export interface PeSignatureCheck {
  readonly info: SignatureInfo;
  readonly findings: Finding[];
  readonly table?: CertTable;
}

/**
 * Checks the Authenticode signature of a PE image.
 * @throws ScanLimitError `SCAN_LIMIT_PKCS7` for a PKCS#7 blob over {@link BINARY_LIMITS.pkcs7Bytes}.
 */
export function checkAuthenticode(image: PeImage): PeSignatureCheck {
  const file = image.reader.file;
  const table = readCertTable(image);
  const finding = (id: string, severity: Severity, why: string, evidence: Evidence): Finding => ({
    id: `signature.pe.${id}`,
    severity,
    layer: "signature",
    file,
    why,
    evidence,
  });
  if (!table) {
    return {
      info: { present: false },
      findings: [finding("unsigned", "info", "the PE has no Authenticode signature", {})],
    };
  }
  const findings = table.problems.map((p) => finding(p.kind, PROBLEM_SEVERITY[p.kind], p.message, p.evidence));
  const entry = table.entries.find((e) => e.pkcs7 !== undefined);
  if (!entry?.pkcs7) return { info: { present: true }, findings, table };
  if (entry.pkcs7.length > BINARY_LIMITS.pkcs7Bytes) {
    throw new ScanLimitError(
      "SCAN_LIMIT_PKCS7",
      `${file}: a ${entry.pkcs7.length}-byte PKCS#7 signature, more than ${BINARY_LIMITS.pkcs7Bytes}`,
      BINARY_LIMITS.pkcs7Bytes,
    );
  }
  let parsed: ParsedAuthenticode;
  try {
    parsed = parseAuthenticode(entry.pkcs7);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    findings.push(
      finding("pkcs7-malformed", "high", `the Authenticode PKCS#7 blob cannot be read: ${reason}`, {
        entryOffset: entry.offset,
      }),
    );
    return { info: { present: true }, findings, table };
  }
  const fileDigest = authenticodeDigest(image, parsed.digestAlgorithm, table.offset);
  const digestValid = fileDigest.equals(parsed.digest);
  if (!digestValid) {
    findings.push(
      finding(
        "digest-mismatch",
        "critical",
        "the file's Authenticode digest differs from the signed one: the file was changed after signing",
        {
          algorithm: parsed.digestAlgorithm,
          signedDigest: Buffer.from(parsed.digest).toString("hex"),
          fileDigest: fileDigest.toString("hex"),
        },
      ),
    );
  }
  const signer = checkSigner(parsed);
  const signerEvidence: Evidence = signer.cert
    ? { signer: signer.subject ?? "", issuer: signer.issuer ?? "", serial: signer.serial ?? "" }
    : {};
  if (signer.problem !== undefined) {
    findings.push(
      finding(signer.problem.id, signer.problem.severity, signer.problem.why, {
        ...signerEvidence,
        reason: signer.problem.reason,
      }),
    );
  }
  const info: { -readonly [K in keyof SignatureInfo]: SignatureInfo[K] } = { present: true, digestValid };
  if (signer.subject !== undefined) info.signer = signer.subject;
  if (signer.valid !== undefined) info.signatureValid = signer.valid;
  if (signer.issuer !== undefined) info.issuer = signer.issuer;
  if (signer.serial !== undefined) info.serial = signer.serial;
  return { info, findings, table };
}

interface ParsedAuthenticode {
  readonly signedData: pkijs.SignedData;
  /** node:crypto name of the image digest algorithm. */
  readonly digestAlgorithm: string;
  readonly digest: Uint8Array;
  /** The SpcIndirectDataContent's content octets (what messageDigest covers). */
  readonly contentOctets: Uint8Array;
}

function parseAuthenticode(der: Uint8Array): ParsedAuthenticode {
  const asn1 = asn1js.fromBER(der);
  if (asn1.offset === -1) throw new Error(asn1.result.error || "not BER");
  const contentInfo = new pkijs.ContentInfo({ schema: asn1.result });
  if (contentInfo.contentType !== OID.signedData)
    throw new Error(`content type ${contentInfo.contentType}, not SignedData`);
  const signedData = new pkijs.SignedData({ schema: contentInfo.content });
  const encap = signedData.encapContentInfo;
  if (encap.eContentType !== OID.spcIndirectData)
    throw new Error(`signed content ${encap.eContentType}, not SpcIndirectDataContent`);
  const spc: unknown = encap.eContent;
  if (!(spc instanceof asn1js.Sequence)) throw new Error("SpcIndirectDataContent is not a SEQUENCE");
  const digestInfo = spc.valueBlock.value[1];
  if (!(digestInfo instanceof asn1js.Sequence)) throw new Error("SpcIndirectDataContent has no DigestInfo");
  const [algorithm, digest] = digestInfo.valueBlock.value;
  if (!(algorithm instanceof asn1js.Sequence) || !(digest instanceof asn1js.OctetString))
    throw new Error("a malformed DigestInfo");
  const oid = algorithm.valueBlock.value[0];
  if (!(oid instanceof asn1js.ObjectIdentifier)) throw new Error("a DigestInfo without an algorithm");
  const digestAlgorithm = DIGEST_OIDS.get(oid.valueBlock.toString());
  if (!digestAlgorithm) throw new Error(`unknown digest algorithm ${oid.valueBlock.toString()}`);
  const encoded = spc.valueBeforeDecodeView;
  const header = readTlvHeader(encoded);
  if (!header || header.length === undefined) throw new Error("SpcIndirectDataContent has no definite length");
  return {
    signedData,
    digestAlgorithm,
    digest: digest.valueBlock.valueHexView,
    contentOctets: encoded.subarray(header.headerLength, header.headerLength + header.length),
  };
}

interface SignerCheck {
  readonly cert?: X509Certificate;
  readonly subject?: string;
  readonly issuer?: string;
  readonly serial?: string;
  readonly valid?: boolean;
  readonly problem?: { id: string; severity: Severity; why: string; reason: string };
}

function dn(text: string): string {
  return text.split("\n").join(", ");
}

function checkSigner(parsed: ParsedAuthenticode): SignerCheck {
  const invalid = (reason: string, base: SignerCheck = {}): SignerCheck => ({
    ...base,
    valid: false,
    problem: {
      id: "signer-signature-invalid",
      severity: "critical",
      why: `the signer's signature does not hold: ${reason}`,
      reason,
    },
  });
  const signerInfo = parsed.signedData.signerInfos[0];
  if (!signerInfo) return invalid("the SignedData has no SignerInfo");
  const sid = signerInfo.sid;
  if (!(sid instanceof pkijs.IssuerAndSerialNumber))
    return invalid("the signer is not named by issuer and serial number");
  const certificate = (parsed.signedData.certificates ?? []).find(
    (c): c is pkijs.Certificate =>
      c instanceof pkijs.Certificate && c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber),
  );
  if (!certificate) return invalid("the signer's certificate is not in the signature");
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(new Uint8Array(certificate.toSchema().toBER(false)));
  } catch (error) {
    return invalid(
      `the signer's certificate cannot be read (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const base: SignerCheck = {
    cert,
    subject: dn(cert.subject),
    issuer: dn(cert.issuer),
    serial: cert.serialNumber.toLowerCase(),
  };
  const hashName = DIGEST_OIDS.get(signerInfo.digestAlgorithm.algorithmId);
  if (!hashName) return invalid(`unknown signer digest algorithm ${signerInfo.digestAlgorithm.algorithmId}`, base);
  const attributes = signerInfo.signedAttrs;
  if (!attributes) return invalid("the SignerInfo has no signed attributes", base);
  const attribute = (type: string): pkijs.Attribute | undefined => attributes.attributes.find((a) => a.type === type);
  const contentType = attribute(OID.contentType)?.values[0];
  if (!(contentType instanceof asn1js.ObjectIdentifier) || contentType.valueBlock.toString() !== OID.spcIndirectData) {
    return invalid("the contentType attribute is not SpcIndirectDataContent", base);
  }
  const messageDigest = attribute(OID.messageDigest)?.values[0];
  if (!(messageDigest instanceof asn1js.OctetString)) return invalid("no messageDigest attribute", base);
  const contentDigest = createHash(hashName).update(parsed.contentOctets).digest();
  if (!contentDigest.equals(messageDigest.valueBlock.valueHexView)) {
    return invalid("the messageDigest attribute does not match the signed content", base);
  }
  if (signerInfo.signatureAlgorithm.algorithmId === OID.rsaPss) {
    return {
      ...base,
      problem: {
        id: "signature-algorithm-unsupported",
        severity: "medium",
        why: "the signer uses RSA-PSS, which this scan does not verify",
        reason: "RSA-PSS",
      },
    };
  }
  let ok: boolean;
  try {
    ok = verify(
      hashName,
      new Uint8Array(attributes.encodedValue),
      cert.publicKey,
      signerInfo.signature.valueBlock.valueHexView,
    );
  } catch (error) {
    return invalid(`the signature cannot be checked (${error instanceof Error ? error.message : String(error)})`, base);
  }
  return ok ? { ...base, valid: true } : invalid("the signature over the signed attributes is wrong", base);
}
