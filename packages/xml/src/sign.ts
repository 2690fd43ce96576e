import { signEcdsaP256, signRsaPkcs1Sha256, utf8Encode, sha256 } from "@obol/crypto/web";
import { encodeBase64 } from "./base64.js";
import { excC14n } from "./c14n.js";
import { readCertificate } from "./certificates.js";
import type { CertificateInput } from "./certificates.js";
import { attributeValue, descendantElements, isNamed } from "./dom.js";
import { XmlError } from "./errors.js";
import { escapeText } from "./escape.js";
import { isKeyName, signatureAlgorithmUris, signerKeyOf } from "./keys.js";
import type { SigningKey } from "./keys.js";
import { keyNameCharsMax } from "./limits.js";
import { dsigNs, envelopedSignatureAlgorithm, excC14nAlgorithm, sha256DigestAlgorithm } from "./namespaces.js";
import { parseXml } from "./parse.js";
import type { ParseOptions } from "./parse.js";
import { ncNamePattern } from "./scan.js";
import { inspectSignature } from "./signature-structure.js";

export interface SignOptions {
  /** EC P-256 (→ ecdsa-sha256) or RSA 2048–8192 (→ rsa-sha256, only with allowRsaSha256): a CryptoKeyPair or a
   * private Node KeyObject. */
  readonly privateKey: SigningKey;
  /** Must be true to sign with an RSA key (legacy devices). */
  readonly allowRsaSha256?: boolean;
  /** ds:KeyName to put in KeyInfo: a compact certificate identifier or key name that helps the verifier LOOK
   * UP the trusted key. */
  readonly keyName?: string;
  /** Certificates for ds:X509Data (leaf first; DER or Node X509Certificate). The leaf must belong to privateKey. */
  readonly certificates?: readonly CertificateInput[];
  /** Options for parsing the document to sign (expected root, limits). Comments are never allowed. */
  readonly parse?: Omit<ParseOptions, "allowComments">;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

function keyInfoContent(options: SignOptions, signerSpki: Uint8Array): string {
  const parts: string[] = [];
  if (options.keyName !== undefined) {
    const name = options.keyName;
    if (!isKeyName(name)) {
      throw new XmlError("ERR_XML_MALFORMED", `keyName must be 1 to ${keyNameCharsMax} printable characters`);
    }
    parts.push(`<ds:KeyName>${escapeText(name)}</ds:KeyName>`);
  }
  const certificates = (options.certificates ?? []).map((c) => readCertificate(c));
  const leaf = certificates[0];
  if (leaf !== undefined) {
    if (!sameBytes(leaf.spki, signerSpki)) {
      throw new XmlError("ERR_XML_SIGNATURE_INVALID", "the first certificate does not belong to the signing key");
    }
    const encoded = certificates.map((c) => `<ds:X509Certificate>${encodeBase64(c.der)}</ds:X509Certificate>`);
    parts.push(`<ds:X509Data>${encoded.join("")}</ds:X509Data>`);
  }
  return parts.length > 0 ? `<ds:KeyInfo>${parts.join("")}</ds:KeyInfo>` : "";
}

/**
 * Signs `xml` with an enveloped XML signature (xmldsig-core1 §6.6.4) over its document element: exactly one
 * Reference with URI="#<Id of the document element>", Transforms enveloped-signature then exclusive c14n
 * (xml-exc-c14n), SHA-256 digest, ECDSA-SHA256 (r || s) or RSA-SHA256, the ds:Signature appended as the last
 * child of the document element. The document must carry an `Id` that is an NCName and no signature yet.
 * Returns the signed document, which inspectSignature() accepts.
 *
 * The steps are xmldsig-core1 §3.1 (core generation) for that one shape: the Reference is digested over the
 * canonical document element (the enveloped-signature transform of a document not yet signed is the
 * identity), then the SignedInfo is canonicalized in place and signed. Canonicalization is xml-crypto's; the
 * cryptography is WebCrypto's, so the same code signs in Node and in browsers.
 */
export async function signEnveloped(xml: string, options: SignOptions): Promise<string> {
  const signer = await signerKeyOf(options.privateKey);
  if (signer.algorithm === "rsa-sha256" && options.allowRsaSha256 !== true) {
    throw new XmlError("ERR_XML_ALGORITHM", "RSA-SHA256 signing needs allowRsaSha256 (legacy devices only)");
  }
  const parsed = parseXml(xml, { ...options.parse, allowComments: false });
  const id = attributeValue(parsed.root, "Id");
  if (id === undefined || !ncNamePattern.test(id)) {
    throw new XmlError("ERR_XML_MALFORMED", "the document element needs an Id that is an NCName");
  }
  if (descendantElements(parsed.root).some((element) => isNamed(element, dsigNs, "Signature"))) {
    throw new XmlError("ERR_XML_MALFORMED", "the document is already signed");
  }
  const keyInfo = keyInfoContent(options, signer.spki);

  const digest = await sha256(utf8Encode(excC14n(parsed.root)));
  const signedInfo =
    `<ds:SignedInfo xmlns:ds="${dsigNs}">` +
    `<ds:CanonicalizationMethod Algorithm="${excC14nAlgorithm}"/>` +
    `<ds:SignatureMethod Algorithm="${signatureAlgorithmUris[signer.algorithm]}"/>` +
    `<ds:Reference URI="#${id}"><ds:Transforms>` +
    `<ds:Transform Algorithm="${envelopedSignatureAlgorithm}"/><ds:Transform Algorithm="${excC14nAlgorithm}"/>` +
    `</ds:Transforms><ds:DigestMethod Algorithm="${sha256DigestAlgorithm}"/>` +
    `<ds:DigestValue>${encodeBase64(digest)}</ds:DigestValue></ds:Reference></ds:SignedInfo>`;
  // Exclusive c14n renders only visibly utilized namespaces (xml-exc-c14n §3), so SignedInfo canonicalizes the
  // same alone as inside the document, where ds is declared on the Signature.
  const signedInfoBytes = utf8Encode(excC14n(parseXml(signedInfo).root));
  const value =
    signer.algorithm === "ecdsa-sha256"
      ? await signEcdsaP256(signer.privateKey, signedInfoBytes)
      : await signRsaPkcs1Sha256(signer.privateKey, signedInfoBytes);
  const signature =
    `<ds:Signature xmlns:ds="${dsigNs}">${signedInfo.replace(` xmlns:ds="${dsigNs}"`, "")}` +
    `<ds:SignatureValue>${encodeBase64(value)}</ds:SignatureValue>${keyInfo}</ds:Signature>`;
  // Inserted into the exact text that was parsed, before the document element's end tag: re-serializing the
  // DOM would change characters the digest covers (xmldom writes a CR from "&#13;" raw, and a parser then
  // reads it as LF, XML 1.0 §2.11).
  const endTag = new RegExp(`</${parsed.root.tagName.replace(/[.-]/g, "\\$&")}[ \t\r\n]*>[ \t\r\n]*$`).exec(parsed.source);
  if (endTag === null) throw new XmlError("ERR_XML_MALFORMED", "the document element needs an end tag");
  const signed = parsed.source.slice(0, endTag.index) + signature + parsed.source.slice(endTag.index);

  // Never hand out what our own verifier would refuse.
  const check = parseXml(signed, options.parse);
  inspectSignature(check.root, { allowRsaSha256: signer.algorithm === "rsa-sha256" });
  return signed;
}
