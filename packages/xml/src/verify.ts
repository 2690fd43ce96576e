import { SignedXml } from "xml-crypto";
import { attributeValue, descendantElements, isNamed } from "./dom.js";
import { XmlError } from "./errors.js";
import { publicKeyOf, signatureAlgorithmOf, signatureAlgorithmUris } from "./keys.js";
import type { SignatureAlgorithmName, TrustedKey } from "./keys.js";
import { escapeXml11LineEnds } from "./escape.js";
import { canonicalBytesMax } from "./limits.js";
import { dsigNs, envelopedSignatureAlgorithm, excC14nAlgorithm, sha256DigestAlgorithm } from "./namespaces.js";
import { parseXml } from "./parse.js";
import type { ParsedXml } from "./parse.js";
import { EcdsaSha256, RsaSha256 } from "./signature-algorithms.js";
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

/** The entries of xml-crypto's registry `all` named in `keep`: everything else becomes undispatchable. */
function only<T>(all: Record<string, T>, keep: readonly string[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const name of keep) {
    const entry = all[name];
    if (entry === undefined) throw new Error(`xml-crypto has no ${name}`);
    out[name] = entry;
  }
  return out;
}

/**
 * Verifies the enveloped signature of an already hardened-parsed document (xmldsig-core1 §3.2 core
 * validation) with the caller's trusted key, after inspectSignature() has accepted its shape, and returns
 * the verified content only. Throws XmlError: ERR_XML_SIGNATURE_MISSING/_STRUCTURE, ERR_XML_ALGORITHM
 * (including a trusted key that does not fit the signature algorithm), ERR_XML_SIGNATURE_INVALID.
 */
export function verifySignature(parsed: ParsedXml, options: VerifyOptions): VerifiedXml {
  const info = inspectSignature(parsed.root, options);
  const key = publicKeyOf(options.trustedKey);
  if (signatureAlgorithmOf(key) !== info.algorithm) {
    throw new XmlError("ERR_XML_ALGORITHM", `the trusted key cannot verify ${info.algorithm}`);
  }

  const verifier = new SignedXml({ publicCert: key, getCertFromKeyInfo: () => null });
  verifier.idAttributes = ["Id"];
  // Only what inspectSignature() allowed can be dispatched.
  verifier.SignatureAlgorithms = {
    [signatureAlgorithmUris[info.algorithm]]: info.algorithm === "ecdsa-sha256" ? EcdsaSha256 : RsaSha256,
  };
  verifier.HashAlgorithms = only(verifier.HashAlgorithms, [sha256DigestAlgorithm]);
  verifier.CanonicalizationAlgorithms = only(verifier.CanonicalizationAlgorithms, [
    excC14nAlgorithm,
    envelopedSignatureAlgorithm,
  ]);
  let valid: boolean;
  try {
    verifier.loadSignature(info.signature);
    valid = verifier.checkSignature(parsed.source);
  } catch {
    valid = false;
  }
  const signed = valid ? verifier.getSignedReferences() : [];
  if (signed.length !== 1) throw new XmlError("ERR_XML_SIGNATURE_INVALID", "the signature does not verify with the trusted key");

  const canonicalXml = signed[0] as string;
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
