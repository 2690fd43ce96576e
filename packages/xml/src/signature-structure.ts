import { decodeBase64 } from "./base64.js";
import { readCertificate } from "./certificates.js";
import {
  attributeValue,
  childElements,
  descendantElements,
  expectChildren,
  isNamed,
  namespaceOf,
  onlyAttributes,
  ownAttributes,
  textOnly,
} from "./dom.js";
import { XmlError } from "./errors.js";
import { isKeyName, signatureAlgorithmUris } from "./keys.js";
import type { SignatureAlgorithmName } from "./keys.js";
import { keyInfoCertificatesMax, keyNameCharsMax } from "./limits.js";
import {
  dsigNs,
  envelopedSignatureAlgorithm,
  excC14nAlgorithm,
  sha256DigestAlgorithm,
} from "./namespaces.js";
import { ncNamePattern } from "./scan.js";

/**
 * The one shape of enveloped signature we accept, checked on the parsed document BEFORE any cryptography.
 * Every rule closes a signature-wrapping (XSW) path; xml-crypto's checkSignature() alone returns true for a
 * wrapped document (ecosystem-notes §1, pitfall 1). Structure faults are ERR_XML_SIGNATURE_STRUCTURE,
 * algorithms outside the allow-list ERR_XML_ALGORITHM.
 */

/** What KeyInfo says about the signer. UNTRUSTED: only a hint to look the signer's key up with. */
export interface SignerHint {
  /** ds:KeyName (xmldsig-core1 §4.5.1), e.g. a compact certificate identifier. */
  readonly keyName?: string;
  /** ds:X509Data/ds:X509Certificate (xmldsig-core1 §4.5.4), DER, leaf first; each parses as a certificate.
   * Never trusted by itself. */
  readonly certificates: readonly Uint8Array[];
}

export interface SignatureInfo {
  readonly signature: Element;
  readonly algorithm: SignatureAlgorithmName;
  /** The Id of the document element, which the one Reference points at. */
  readonly referenceId: string;
  readonly signerHint: SignerHint;
}

export interface SignaturePolicy {
  /** Accept rsa-sha256 (legacy devices). ECDSA-SHA256 is always accepted. */
  readonly allowRsaSha256?: boolean;
}

function structure(message: string): XmlError {
  return new XmlError("ERR_XML_SIGNATURE_STRUCTURE", message);
}

function algorithmOf(element: Element, what: string): string {
  const algorithm = attributeValue(element, "Algorithm");
  if (algorithm === undefined) throw structure(`${what} has no Algorithm`);
  return algorithm;
}

/** `parent` must have exactly these DSig children, in this order (the last one optional if so marked). */
function dsigChildren(parent: Element, names: readonly string[], optionalLast: boolean, what: string): Array<Element | undefined> {
  const expected = names.map((name, i) => [dsigNs, name, optionalLast && i === names.length - 1] as const);
  return expectChildren(parent, expected, "ERR_XML_SIGNATURE_STRUCTURE", what);
}

function expectEmpty(element: Element, what: string): void {
  if (childElements(element, "ERR_XML_SIGNATURE_STRUCTURE", what).length > 0) {
    throw structure(`${what} must be empty`);
  }
}

/**
 * Whole-document rules (xmldsig-core1 §4.4.3.3 same-document references resolve IDs, so IDs are what an
 * attacker plays with): `Id` is the only ID attribute, its values are unique, exactly one ds:Signature and
 * exactly one element named SignedInfo exist (xml-crypto looks SignedInfo up by local name alone).
 */
function checkDocument(root: Element): Element {
  const ids = new Set<string>();
  const signatures: Element[] = [];
  let signedInfos = 0;
  for (const element of descendantElements(root)) {
    if (isNamed(element, dsigNs, "Signature")) signatures.push(element);
    if (element.localName === "SignedInfo") signedInfos++;
    for (const attribute of ownAttributes(element)) {
      if (attribute.localName.toLowerCase() !== "id") continue;
      if (namespaceOf(attribute) !== null || attribute.localName !== "Id") {
        throw structure(`alternative ID attribute ${attribute.name}: only Id identifies elements`);
      }
      if (ids.has(attribute.value)) throw structure(`duplicate Id ${JSON.stringify(attribute.value)}`);
      ids.add(attribute.value);
    }
  }
  if (signatures.length === 0) throw new XmlError("ERR_XML_SIGNATURE_MISSING", "the document carries no ds:Signature");
  if (signatures.length > 1) throw structure(`${signatures.length} ds:Signature elements; exactly one is allowed`);
  if (signedInfos !== 1) throw structure(`${signedInfos} SignedInfo elements; exactly one is allowed`);
  return signatures[0] as Element;
}

function checkSignedInfo(signedInfo: Element, rootId: string, policy: SignaturePolicy): SignatureAlgorithmName {
  onlyAttributes(signedInfo, [], "ERR_XML_SIGNATURE_STRUCTURE", "SignedInfo");
  const children = childElements(signedInfo, "ERR_XML_SIGNATURE_STRUCTURE", "SignedInfo");
  const references = children.filter((child) => isNamed(child, dsigNs, "Reference"));
  if (references.length !== 1) throw structure(`${references.length} References; exactly one is allowed`);
  const [c14n, method, reference] = dsigChildren(
    signedInfo,
    ["CanonicalizationMethod", "SignatureMethod", "Reference"],
    false,
    "SignedInfo",
  ) as [Element, Element, Element];

  // xmldsig-core1 §4.4.1: CanonicalizationMethod. Only exclusive c14n without comments (xml-exc-c14n §3).
  onlyAttributes(c14n, ["Algorithm"], "ERR_XML_SIGNATURE_STRUCTURE", "CanonicalizationMethod");
  if (algorithmOf(c14n, "CanonicalizationMethod") !== excC14nAlgorithm) {
    throw new XmlError("ERR_XML_ALGORITHM", "CanonicalizationMethod must be exclusive c14n without comments");
  }
  expectEmpty(c14n, "CanonicalizationMethod"); // no InclusiveNamespaces PrefixList

  // xmldsig-core1 §4.4.2: SignatureMethod. ECDSA-SHA256; RSA-SHA256 only when allowed; never HMAC.
  onlyAttributes(method, ["Algorithm"], "ERR_XML_SIGNATURE_STRUCTURE", "SignatureMethod");
  const methodUri = algorithmOf(method, "SignatureMethod");
  let algorithm: SignatureAlgorithmName;
  if (methodUri === signatureAlgorithmUris["ecdsa-sha256"]) {
    algorithm = "ecdsa-sha256";
  } else if (methodUri === signatureAlgorithmUris["rsa-sha256"] && policy.allowRsaSha256 === true) {
    algorithm = "rsa-sha256";
  } else {
    throw new XmlError("ERR_XML_ALGORITHM", `SignatureMethod ${methodUri} is not allowed`);
  }
  expectEmpty(method, "SignatureMethod"); // no HMACOutputLength

  // xmldsig-core1 §4.4.3: the one Reference, to the document element by its Id, nothing else.
  onlyAttributes(reference, ["URI"], "ERR_XML_SIGNATURE_STRUCTURE", "Reference");
  if (attributeValue(reference, "URI") !== `#${rootId}`) {
    throw structure(`the Reference must point at the document element (URI="#${rootId}")`);
  }
  const [transforms, digestMethod, digestValue] = dsigChildren(
    reference,
    ["Transforms", "DigestMethod", "DigestValue"],
    false,
    "Reference",
  ) as [Element, Element, Element];

  // §4.4.3.4 Transforms: exactly enveloped-signature (§6.6.4) then exclusive c14n.
  onlyAttributes(transforms, [], "ERR_XML_SIGNATURE_STRUCTURE", "Transforms");
  const transformList = dsigChildren(transforms, ["Transform", "Transform"], false, "Transforms") as [Element, Element];
  const allowedTransforms = [envelopedSignatureAlgorithm, excC14nAlgorithm];
  transformList.forEach((transform, i) => {
    onlyAttributes(transform, ["Algorithm"], "ERR_XML_SIGNATURE_STRUCTURE", "Transform");
    const uri = algorithmOf(transform, "Transform");
    if (!allowedTransforms.includes(uri)) throw new XmlError("ERR_XML_ALGORITHM", `Transform ${uri} is not allowed`);
    if (uri !== allowedTransforms[i]) throw structure("Transforms must be enveloped-signature, then exclusive c14n");
    expectEmpty(transform, "Transform");
  });

  // §4.4.3.5 DigestMethod: SHA-256 (xmlenc-core1 §5.7.2); SHA-1 is refused.
  onlyAttributes(digestMethod, ["Algorithm"], "ERR_XML_SIGNATURE_STRUCTURE", "DigestMethod");
  if (algorithmOf(digestMethod, "DigestMethod") !== sha256DigestAlgorithm) {
    throw new XmlError("ERR_XML_ALGORITHM", "DigestMethod must be SHA-256");
  }
  expectEmpty(digestMethod, "DigestMethod");
  onlyAttributes(digestValue, [], "ERR_XML_SIGNATURE_STRUCTURE", "DigestValue");
  const digest = decodeBase64(textOnly(digestValue, "ERR_XML_SIGNATURE_STRUCTURE", "DigestValue"));
  if (digest === null || digest.byteLength !== 32) throw structure("DigestValue must be 32 bytes of base64");
  return algorithm;
}

/** xmldsig-core1 §4.5 KeyInfo: KeyName and X509Data/X509Certificate only. Returned as an untrusted hint. */
function readKeyInfo(keyInfo: Element | undefined): SignerHint {
  if (keyInfo === undefined) return { certificates: [] };
  onlyAttributes(keyInfo, ["Id"], "ERR_XML_SIGNATURE_STRUCTURE", "KeyInfo");
  let keyName: string | undefined;
  const certificates: Uint8Array[] = [];
  for (const child of childElements(keyInfo, "ERR_XML_SIGNATURE_STRUCTURE", "KeyInfo")) {
    onlyAttributes(child, [], "ERR_XML_SIGNATURE_STRUCTURE", "KeyInfo child");
    if (isNamed(child, dsigNs, "KeyName") && keyName === undefined) {
      keyName = textOnly(child, "ERR_XML_SIGNATURE_STRUCTURE", "KeyName").trim();
      if (!isKeyName(keyName)) {
        throw structure(`KeyName must be 1 to ${keyNameCharsMax} printable characters`);
      }
    } else if (isNamed(child, dsigNs, "X509Data") && certificates.length === 0) {
      const items = childElements(child, "ERR_XML_SIGNATURE_STRUCTURE", "X509Data");
      if (items.length > keyInfoCertificatesMax) throw structure(`more than ${keyInfoCertificatesMax} certificates in KeyInfo`);
      for (const item of items) {
        if (!isNamed(item, dsigNs, "X509Certificate")) throw structure("X509Data may carry X509Certificate only");
        onlyAttributes(item, [], "ERR_XML_SIGNATURE_STRUCTURE", "X509Certificate");
        const der = decodeBase64(textOnly(item, "ERR_XML_SIGNATURE_STRUCTURE", "X509Certificate"));
        if (der === null) throw structure("X509Certificate is not base64");
        readCertificate(der, "ERR_XML_SIGNATURE_STRUCTURE");
        certificates.push(der);
      }
      if (certificates.length === 0) throw structure("X509Data is empty");
    } else {
      throw structure(`KeyInfo may carry one KeyName and one X509Data, not {${child.namespaceURI ?? ""}}${child.localName}`);
    }
  }
  return keyName === undefined ? { certificates } : { keyName, certificates };
}

/**
 * Checks the enveloped signature of `root` has the one accepted shape (see the README, "Signature rules")
 * and returns where it is, its algorithm and the untrusted signer hint. Throws XmlError:
 * ERR_XML_SIGNATURE_MISSING, ERR_XML_SIGNATURE_STRUCTURE or ERR_XML_ALGORITHM.
 */
export function inspectSignature(root: Element, policy: SignaturePolicy = {}): SignatureInfo {
  const signature = checkDocument(root);
  const rootId = attributeValue(root, "Id");
  if (rootId === undefined || !ncNamePattern.test(rootId)) {
    throw structure("the document element must carry an Id that is an NCName");
  }
  // The Signature is a direct child of the document element, and its last element child.
  if (signature.parentNode !== root) throw structure("ds:Signature must be a direct child of the document element");
  let next = signature.nextSibling;
  while (next !== null && next.nodeType !== 1) next = next.nextSibling;
  if (next !== null) throw structure("ds:Signature must be the last element of the document element");

  onlyAttributes(signature, ["Id"], "ERR_XML_SIGNATURE_STRUCTURE", "Signature");
  // xmldsig-core1 §4.1: SignedInfo, SignatureValue, KeyInfo?; no ds:Object (where wrapped content hides).
  const [signedInfo, signatureValue, keyInfo] = dsigChildren(
    signature,
    ["SignedInfo", "SignatureValue", "KeyInfo"],
    true,
    "Signature",
  ) as [Element, Element, Element | undefined];
  const algorithm = checkSignedInfo(signedInfo, rootId, policy);
  onlyAttributes(signatureValue, ["Id"], "ERR_XML_SIGNATURE_STRUCTURE", "SignatureValue");
  const value = decodeBase64(textOnly(signatureValue, "ERR_XML_SIGNATURE_STRUCTURE", "SignatureValue"));
  if (value === null || value.byteLength === 0) throw structure("SignatureValue is not base64");
  return { signature, algorithm, referenceId: rootId, signerHint: readKeyInfo(keyInfo) };
}
