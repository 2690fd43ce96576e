import { constantTimeEqual, sha256, utf8Encode, verifyEcdsaP256, verifyRsaPkcs1Sha256 } from "@obol/crypto/web";
import { decodeBase64 } from "./base64.js";
import { excC14n } from "./c14n.js";
import { attributeValue, childElements, descendantElements, isNamed, textOnly } from "./dom.js";
import { XmlError } from "./errors.js";
import { publicKeyOf } from "./keys.js";
import type { SignatureAlgorithmName, TrustedKey } from "./keys.js";
import { escapeXml11LineEnds } from "./escape.js";
import { canonicalBytesMax } from "./limits.js";
import { dsigNs } from "./namespaces.js";
import { parseXml } from "./parse.js";
import type { ParsedXml } from "./parse.js";
import { inspectSignature } from "./signature-structure.js";
import type { SignaturePolicy, SignerHint } from "./signature-structure.js";

export interface VerifyOptions extends SignaturePolicy {
  /** The key the CALLER trusts for this signer (platform or device key). KeyInfo is never used to verify. */
  readonly trustedKey: TrustedKey;
}

/** The outcome of verification: only what the signature covers. */
export interface VerifiedXml {
  /**
   * The document element re-parsed from the canonical XML the signature was verified over (after the
   * enveloped-signature transform, so without the ds:Signature). The business layer reads THIS, never the
   * received document: nothing outside the signed bytes can reach it (XSW defence, ecosystem-notes §1.1).
   */
  readonly root: Element;
  /** The exact canonical octets that were digested (xml-exc-c14n), as text. */
  readonly canonicalXml: string;
  readonly algorithm: SignatureAlgorithmName;
  /** KeyInfo as received. Untrusted: whatever it says, `trustedKey` is what verified the signature. */
  readonly signerHint: SignerHint;
}

function invalid(): XmlError {
  return new XmlError("ERR_XML_SIGNATURE_INVALID", "the signature does not verify with the trusted key");
}

/**
 * Verifies the enveloped signature of an already hardened-parsed document (xmldsig-core1 §3.2 core
 * validation) with the caller's trusted key, after inspectSignature() has accepted its shape (one Signature,
 * the last child of the document element; one Reference, to the document element by Id; enveloped-signature
 * then exc-c14n; SHA-256), and returns the verified content only:
 *
 *  1. reference validation (§3.2.1): the document element without its ds:Signature (the enveloped-signature
 *     transform, §6.6.4), canonicalized, digested, compared in constant time with DigestValue;
 *  2. signature validation (§3.2.2): the canonical SignedInfo verified with the trusted key.
 *
 * What is returned is re-parsed from the canonical bytes of step 1, which are exactly what was signed.
 * Throws XmlError: ERR_XML_SIGNATURE_MISSING/_STRUCTURE, ERR_XML_ALGORITHM (including a trusted key that
 * does not fit the signature algorithm), ERR_XML_SIGNATURE_INVALID.
 */
export async function verifySignature(parsed: ParsedXml, options: VerifyOptions): Promise<VerifiedXml> {
  const info = inspectSignature(parsed.root, options);
  const trusted = await publicKeyOf(options.trustedKey);
  if (trusted.algorithm !== info.algorithm) {
    throw new XmlError("ERR_XML_ALGORITHM", `the trusted key cannot verify ${info.algorithm}`);
  }
  // inspectSignature() vouched for the shape: Signature = SignedInfo, SignatureValue, KeyInfo?; SignedInfo's
  // third child is the one Reference, whose third child is DigestValue.
  const [signedInfo, valueElement] = childElements(info.signature, "ERR_XML_SIGNATURE_STRUCTURE", "Signature") as [Element, Element];
  const reference = childElements(signedInfo, "ERR_XML_SIGNATURE_STRUCTURE", "SignedInfo")[2] as Element;
  const digestElement = childElements(reference, "ERR_XML_SIGNATURE_STRUCTURE", "Reference")[2] as Element;
  const signatureValue = decodeBase64(textOnly(valueElement, "ERR_XML_SIGNATURE_STRUCTURE", "SignatureValue"));
  const digestValue = decodeBase64(textOnly(digestElement, "ERR_XML_SIGNATURE_STRUCTURE", "DigestValue"));
  if (signatureValue === null || digestValue === null) throw invalid();

  // Step 2 first: the signature over SignedInfo, so an unauthenticated document costs no canonicalization of
  // its (larger) content. Both must pass; the order changes nothing else.
  const signedInfoBytes = utf8Encode(excC14n(signedInfo));
  const signatureOk =
    info.algorithm === "ecdsa-sha256"
      ? await verifyEcdsaP256(trusted.key, signedInfoBytes, signatureValue)
      : await verifyRsaPkcs1Sha256(trusted.key, signedInfoBytes, signatureValue);
  if (!signatureOk) throw invalid();

  // Step 1 on a copy: the enveloped-signature transform removes exactly the ds:Signature element.
  const copy = parsed.root.cloneNode(true) as Element;
  const signatures = descendantElements(copy).filter((e) => isNamed(e, dsigNs, "Signature"));
  if (signatures.length !== 1 || signatures[0]?.parentNode !== copy) throw invalid();
  copy.removeChild(signatures[0]);
  const canonicalXml = excC14n(copy);
  if (!constantTimeEqual(await sha256(utf8Encode(canonicalXml)), digestValue)) throw invalid();

  const reparsed = parseXml(escapeXml11LineEnds(canonicalXml), {
    limits: { documentBytesMax: canonicalBytesMax },
    expectedRoot: { namespaceUri: parsed.root.namespaceURI ?? "", localName: parsed.root.localName },
  });
  if (attributeValue(reparsed.root, "Id") !== info.referenceId) {
    throw new XmlError("ERR_XML_SIGNATURE_INVALID", "the verified element is not the document element");
  }
  if (descendantElements(reparsed.root).some((element) => isNamed(element, dsigNs, "Signature"))) {
    throw new XmlError("ERR_XML_SIGNATURE_INVALID", "the verified content still holds a signature");
  }
  return { root: reparsed.root, canonicalXml, algorithm: info.algorithm, signerHint: info.signerHint };
}
