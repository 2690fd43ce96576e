import { KeyObject, X509Certificate } from "node:crypto";
import { SignedXml } from "xml-crypto";
import { encodeBase64 } from "./base64.js";
import { attributeValue, descendantElements, isNamed } from "./dom.js";
import { XmlError } from "./errors.js";
import { escapeText, escapeXml11LineEnds } from "./escape.js";
import { isKeyName, publicKeyOf, signatureAlgorithmOf, signatureAlgorithmUris } from "./keys.js";
import type { SignatureAlgorithmName } from "./keys.js";
import { keyNameCharsMax } from "./limits.js";
import {
  dsigNs,
  envelopedSignatureAlgorithm,
  excC14nAlgorithm,
  sha256DigestAlgorithm,
} from "./namespaces.js";
import { parseXml } from "./parse.js";
import type { ParseOptions } from "./parse.js";
import { ncNamePattern } from "./scan.js";
import { EcdsaSha256, RsaSha256 } from "./signature-algorithms.js";
import { inspectSignature } from "./signature-structure.js";

export interface SignOptions {
  /** EC P-256 (→ ecdsa-sha256) or RSA 2048–8192 (→ rsa-sha256, only with allowRsaSha256). */
  readonly privateKey: KeyObject;
  /** Must be true to sign with an RSA key (legacy devices). */
  readonly allowRsaSha256?: boolean;
  /** ds:KeyName to put in KeyInfo: a compact certificate identifier or key name that helps the verifier LOOK
   * UP the trusted key. */
  readonly keyName?: string;
  /** Certificates for ds:X509Data (leaf first). The leaf must belong to privateKey. */
  readonly certificates?: readonly X509Certificate[];
  /** Options for parsing the document to sign (expected root, limits). Comments are never allowed. */
  readonly parse?: Omit<ParseOptions, "allowComments">;
}

function keyInfoContent(options: SignOptions): string | null {
  const parts: string[] = [];
  if (options.keyName !== undefined) {
    const name = options.keyName;
    if (!isKeyName(name)) {
      throw new XmlError("ERR_XML_MALFORMED", `keyName must be 1 to ${keyNameCharsMax} printable characters`);
    }
    parts.push(`<ds:KeyName>${escapeText(name)}</ds:KeyName>`);
  }
  const certificates = options.certificates ?? [];
  if (certificates.length > 0) {
    const leaf = certificates[0] as X509Certificate;
    const signer = publicKeyOf(options.privateKey).export({ format: "der", type: "spki" });
    const certified = leaf.publicKey.export({ format: "der", type: "spki" });
    if (!signer.equals(certified)) {
      throw new XmlError("ERR_XML_SIGNATURE_INVALID", "the first certificate does not belong to the signing key");
    }
    const encoded = certificates.map((c) => `<ds:X509Certificate>${encodeBase64(c.raw)}</ds:X509Certificate>`);
    parts.push(`<ds:X509Data>${encoded.join("")}</ds:X509Data>`);
  }
  return parts.length > 0 ? parts.join("") : null;
}

/**
 * Signs `xml` with an enveloped XML signature (xmldsig-core1 §6.6.4) over its document element:
 * exactly one Reference with URI="#<Id of the document element>", Transforms enveloped-signature then
 * exclusive c14n (xml-exc-c14n), SHA-256 digest, ECDSA-SHA256 (r || s) or RSA-SHA256, the ds:Signature
 * appended as the last child of the document element. The document must carry an `Id` that is an NCName
 * and no signature yet. Returns the signed document, which inspectSignature() accepts.
 */
export function signEnveloped(xml: string, options: SignOptions): string {
  if (!(options.privateKey instanceof KeyObject) || options.privateKey.type !== "private") {
    throw new XmlError("ERR_XML_ALGORITHM", "privateKey must be a private KeyObject");
  }
  const algorithm: SignatureAlgorithmName = signatureAlgorithmOf(options.privateKey);
  if (algorithm === "rsa-sha256" && options.allowRsaSha256 !== true) {
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
  const keyInfo = keyInfoContent(options);

  const signer = new SignedXml({
    privateKey: options.privateKey,
    signatureAlgorithm: signatureAlgorithmUris[algorithm],
    canonicalizationAlgorithm: excC14nAlgorithm,
    getKeyInfoContent: () => keyInfo,
  });
  signer.idAttributes = ["Id"];
  signer.SignatureAlgorithms = { [signatureAlgorithmUris[algorithm]]: algorithm === "ecdsa-sha256" ? EcdsaSha256 : RsaSha256 };
  signer.addReference({
    xpath: "/*",
    transforms: [envelopedSignatureAlgorithm, excC14nAlgorithm],
    digestAlgorithm: sha256DigestAlgorithm,
  });
  signer.computeSignature(parsed.source, { prefix: "ds", location: { reference: "/*", action: "append" } });
  const signed = escapeXml11LineEnds(signer.getSignedXml());

  // Never hand out what our own verifier would refuse.
  const check = parseXml(signed, options.parse);
  inspectSignature(check.root, { allowRsaSha256: algorithm === "rsa-sha256" });
  return signed;
}
