import { sha256, toBase64, utf8Encode } from "@obol/crypto/web";
import { readCertificate } from "./certificates.js";
import type { CertificateInput } from "./certificates.js";
import { attributeValue, childElements, isNamed, onlyAttributes, textOnly } from "./dom.js";
import { buildMessage } from "./envelope.js";
import { XmlError } from "./errors.js";
import { publicKeyOf, signerKeyOf } from "./keys.js";
import type { SigningKey } from "./keys.js";
import { formatTimestamp, messageRoot, parseTimestamp, readMessageFields } from "./message-fields.js";
import { obolMessageNs, sha256DigestAlgorithm } from "./namespaces.js";
import { parseXml } from "./parse.js";
import { verifySignature } from "./verify.js";
import type { XmlNode } from "./xml-node.js";

/**
 * Platform-signed receipts: a Message of Type "obol.receipt.v1", signed by the platform with its certificate
 * in KeyInfo, that anyone can verify OFFLINE with the platform certificate (verifyReceipt, or xmlsec1
 * --verify --pubkey-cert-pem platform.pem --id-attr:Id urn:obol:msg:1:Message receipt.xml). No freshness or
 * replay check applies: a receipt is evidence, verified whenever a dispute needs it (SYSTEM.md §2,
 * non-repudiation).
 */

export const receiptType = "obol.receipt.v1";

export interface Receipt {
  readonly transactionId: string;
  /** e.g. "completed", "failed", "refunded". */
  readonly status: string;
  /** Amount in minor units (a decimal integer string, e.g. "125000" for KES 1,250.00). */
  readonly amountMinor: string;
  /** ISO 4217 alphabetic code. */
  readonly currency: string;
  readonly payer: string;
  readonly payee: string;
  readonly completedAt: Date;
  /**
   * SHA-256 (base64) of the signed confirmation the receipt answers: OpenedMessage.signedXml as UTF-8.
   * Ties the receipt to exactly what the user signed.
   */
  readonly requestDigest?: string;
}

export interface SignReceiptOptions {
  readonly platformKey: SigningKey;
  /** The platform certificate, put in KeyInfo (X509Data) so a verifier can match it with its own copy. */
  readonly platformCertificate: CertificateInput;
  readonly now: Date;
  readonly random: (bytes: number) => Uint8Array;
}

export interface VerifiedReceipt extends Receipt {
  readonly receiptId: string;
  readonly issuedAt: Date;
  /** The canonical XML the platform signed. */
  readonly signedXml: string;
}

/** Identifiers (transaction ids, MSISDNs in E.164, merchant codes): no spaces, no markup. */
const tokenPattern = /^[A-Za-z0-9+][A-Za-z0-9._:+-]{0,127}$/;
const amountPattern = /^(0|[1-9][0-9]{0,18})$/;
const currencyPattern = /^[A-Z]{3}$/;

function check(ok: boolean, what: string): void {
  if (!ok) throw new XmlError("ERR_XML_MALFORMED", `receipt ${what} is not valid`);
}

/** The digest to put in Receipt.requestDigest for a verified confirmation (OpenedMessage.signedXml). */
export async function requestDigestOf(signedXml: string): Promise<string> {
  return toBase64(await sha256(utf8Encode(signedXml)));
}

function checkReceipt(receipt: Receipt): void {
  check(tokenPattern.test(receipt.transactionId), "transactionId");
  check(tokenPattern.test(receipt.status), "status");
  check(amountPattern.test(receipt.amountMinor), "amountMinor");
  check(currencyPattern.test(receipt.currency), "currency");
  check(tokenPattern.test(receipt.payer), "payer");
  check(tokenPattern.test(receipt.payee), "payee");
  check(Number.isFinite(receipt.completedAt.getTime()), "completedAt");
  if (receipt.requestDigest !== undefined) check(/^[A-Za-z0-9+/]{43}=$/.test(receipt.requestDigest), "requestDigest");
}

/** Builds and signs a receipt with the platform key (ECDSA-SHA256, or RSA-SHA256 for an RSA platform key). */
export async function signReceipt(receipt: Receipt, options: SignReceiptOptions): Promise<string> {
  checkReceipt(receipt);
  const fields: XmlNode[] = [
    { name: "TransactionId", children: [receipt.transactionId] },
    { name: "Status", children: [receipt.status] },
    { name: "Amount", attributes: { Currency: receipt.currency }, children: [receipt.amountMinor] },
    { name: "Payer", children: [receipt.payer] },
    { name: "Payee", children: [receipt.payee] },
    { name: "CompletedAt", children: [formatTimestamp(receipt.completedAt)] },
  ];
  if (receipt.requestDigest !== undefined) {
    fields.push({ name: "RequestDigest", attributes: { Algorithm: sha256DigestAlgorithm }, children: [receipt.requestDigest] });
  }
  const { algorithm } = await signerKeyOf(options.platformKey);
  const built = await buildMessage({
    type: receiptType,
    body: [{ name: "Receipt", children: fields }],
    signer: {
      privateKey: options.platformKey,
      allowRsaSha256: algorithm === "rsa-sha256",
      certificates: [options.platformCertificate],
    },
    now: options.now,
    random: options.random,
  });
  return built.xml;
}

/**
 * Verifies a receipt offline with the platform certificate the verifier already holds (never the one in
 * KeyInfo): hardened parse, signature rules and verification with that certificate's key, Type, fields, and
 * an issue time inside the certificate's validity. Throws XmlError.
 */
export async function verifyReceipt(xml: string | Uint8Array, platformCertificate: CertificateInput): Promise<VerifiedReceipt> {
  const certificate = readCertificate(platformCertificate);
  const allowRsaSha256 = (await publicKeyOf(platformCertificate)).algorithm === "rsa-sha256";
  const parsed = parseXml(xml, { expectedRoot: messageRoot });
  const verified = await verifySignature(parsed, { trustedKey: platformCertificate, allowRsaSha256 });
  const fields = readMessageFields(verified.root);
  if (fields.type !== receiptType) throw new XmlError("ERR_XML_MALFORMED", `not a receipt (Type ${fields.type})`);
  if (fields.encrypted !== undefined) throw new XmlError("ERR_XML_MALFORMED", "a receipt has no encrypted part");
  const issued = fields.timestamp.getTime();
  if (issued < certificate.notBefore.getTime() || issued > certificate.notAfter.getTime()) {
    throw new XmlError("ERR_XML_SIGNATURE_INVALID", "the receipt was issued outside the platform certificate's validity");
  }

  const [receipt, ...more] = childElements(fields.body, "ERR_XML_MALFORMED", "Body");
  if (receipt === undefined || more.length > 0 || !isNamed(receipt, obolMessageNs, "Receipt")) {
    throw new XmlError("ERR_XML_MALFORMED", "a receipt Body holds one Receipt");
  }
  onlyAttributes(receipt, [], "ERR_XML_MALFORMED", "Receipt");
  const names = ["TransactionId", "Status", "Amount", "Payer", "Payee", "CompletedAt", "RequestDigest"];
  const children = childElements(receipt, "ERR_XML_MALFORMED", "Receipt");
  check(
    (children.length === names.length || children.length === names.length - 1) &&
      children.every((child, i) => isNamed(child, obolMessageNs, names[i] as string)),
    "structure",
  );
  const [transactionId, status, amount, payer, payee, completedAtElement, digestElement] = children as [
    Element, Element, Element, Element, Element, Element, Element | undefined,
  ];
  const text = (element: Element, attributes: readonly string[] = []): string => {
    onlyAttributes(element, attributes, "ERR_XML_MALFORMED", element.localName);
    return textOnly(element, "ERR_XML_MALFORMED", element.localName);
  };
  const completedAt = parseTimestamp(text(completedAtElement));
  check(completedAt !== undefined, "CompletedAt");
  let requestDigest: string | undefined;
  if (digestElement !== undefined) {
    requestDigest = text(digestElement, ["Algorithm"]);
    check(attributeValue(digestElement, "Algorithm") === sha256DigestAlgorithm, "RequestDigest Algorithm");
  }
  const result: Receipt = {
    transactionId: text(transactionId),
    status: text(status),
    amountMinor: text(amount, ["Currency"]),
    currency: attributeValue(amount, "Currency") ?? "",
    payer: text(payer),
    payee: text(payee),
    completedAt: new Date(completedAt as number),
    ...(requestDigest !== undefined ? { requestDigest } : {}),
  };
  checkReceipt(result);
  return { ...result, receiptId: fields.messageId, issuedAt: fields.timestamp, signedXml: verified.canonicalXml };
}
