import { createHmac, createPublicKey, KeyObject as NodeKeyObject, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { DOMParser, XMLSerializer } from "@xmldom/xmldom";
import { SignedXml } from "xml-crypto";
import { EcdsaSha256, RsaSha256 } from "./signature-algorithms.js";

// Building blocks for the signature-wrapping suite: plain xmldom (no hardening, like an attacker's tools)
// and xml-crypto used directly, to produce documents our own signEnveloped() would never make.

export const DSIG = "http://www.w3.org/2000/09/xmldsig#";
export const MSG = "urn:obol:msg:1";
export const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
export const INCLUSIVE_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
export const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
export const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";
export const SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1";
export const ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
export const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
export const HMAC_SHA1 = "http://www.w3.org/2000/09/xmldsig#hmac-sha1";

export function load(xml: string): Document {
  return new DOMParser().parseFromString(xml, "application/xml");
}

export function save(node: Node): string {
  return new XMLSerializer().serializeToString(node);
}

export function elementChildren(parent: Element): Element[] {
  const out: Element[] = [];
  for (let child = parent.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === 1) out.push(child as Element);
  }
  return out;
}

export function first(parent: Document | Element, namespaceUri: string, localName: string): Element {
  const found = parent.getElementsByTagNameNS(namespaceUri, localName)[0];
  if (found === undefined) throw new Error(`no ${localName}`);
  return found;
}

/** The signed document split into its root, its ds:Signature, and the root without the signature. */
export function pieces(signed: string): { doc: Document; root: Element; signature: Element; unsigned: Element } {
  const doc = load(signed);
  const root = doc.documentElement as Element;
  const signature = first(root, DSIG, "Signature");
  const unsigned = root.cloneNode(true) as Element;
  const copy = first(unsigned, DSIG, "Signature");
  copy.parentNode?.removeChild(copy);
  return { doc, root, signature, unsigned };
}

/** The unsigned original with Amount (and optionally the root Id) changed: the attacker's forgery. */
export function forgedRoot(signed: string, amount: string, id = "evil"): { doc: Document; forged: Element } {
  const { doc, unsigned } = pieces(signed);
  const forged = unsigned.cloneNode(true) as Element;
  forged.setAttribute("Id", id);
  first(forged, MSG, "Amount").textContent = amount;
  return { doc, forged };
}

export interface RawSignOptions {
  readonly key: KeyObject | string | Buffer;
  readonly signatureAlgorithm?: string;
  readonly canonicalizationAlgorithm?: string;
  readonly digestAlgorithm?: string;
  readonly transforms?: string[];
  /** XPaths of the referenced elements; the first one's Id is used as URI. */
  readonly references?: string[];
  readonly keyInfo?: string | null;
  readonly hmac?: boolean;
}

class HmacSha1OverBytes {
  getSignature = (signedInfo: string, key: string | Buffer): string => createHmac("sha1", key).update(signedInfo).digest("base64");
  verifySignature = (): boolean => false;
  getAlgorithmName = (): string => HMAC_SHA1;
}

/** Signs with xml-crypto directly, so algorithms and reference shapes outside our policy can be produced. */
export function rawSign(unsignedXml: string, options: RawSignOptions): string {
  const signer = new SignedXml({
    privateKey: options.key as KeyObject,
    signatureAlgorithm: options.signatureAlgorithm ?? ECDSA_SHA256,
    canonicalizationAlgorithm: options.canonicalizationAlgorithm ?? EXC_C14N,
    getKeyInfoContent: () => options.keyInfo ?? null,
  });
  signer.idAttributes = ["Id"];
  signer.SignatureAlgorithms = {
    [ECDSA_SHA256]: EcdsaSha256,
    [RSA_SHA256]: RsaSha256,
    [HMAC_SHA1]: HmacSha1OverBytes as never,
  };
  for (const xpath of options.references ?? ["/*"]) {
    signer.addReference({
      xpath,
      transforms: options.transforms ?? [ENVELOPED, EXC_C14N],
      digestAlgorithm: options.digestAlgorithm ?? SHA256,
    });
  }
  signer.computeSignature(unsignedXml, { prefix: "ds", location: { reference: "/*", action: "append" } });
  return signer.getSignedXml();
}

/** ECDSA verification that accepts whatever key xml-crypto hands it, including the PEM it takes from KeyInfo
 * when getCertFromKeyInfo is enabled (the xml-crypto 4.x default, issue #403). */
class AnyKeyEcdsaSha256 {
  getSignature = (): string => {
    throw new Error("verification only");
  };
  verifySignature = (material: string, key: KeyObject | string, signatureValue: string): boolean =>
    verify(
      "sha256",
      Buffer.from(material),
      { key: key instanceof NodeKeyObject ? key : createPublicKey(key), dsaEncoding: "ieee-p1363" },
      Buffer.from(signatureValue, "base64"),
    );
  getAlgorithmName = (): string => ECDSA_SHA256;
}

/** What xml-crypto alone says, the way ecosystem-notes §1 tested it: checkSignature() with a given key. */
export function xmlCryptoAlone(xml: string, key: KeyObject, trustKeyInfo = false): boolean {
  const doc = load(xml);
  const verifier = new SignedXml({
    publicCert: key,
    ...(trustKeyInfo ? { getCertFromKeyInfo: SignedXml.getCertFromKeyInfo } : {}),
  });
  verifier.SignatureAlgorithms = { ...verifier.SignatureAlgorithms, [ECDSA_SHA256]: AnyKeyEcdsaSha256 as never };
  const signature = verifier.findSignatures(doc)[0];
  if (signature === undefined) return false;
  verifier.loadSignature(signature);
  try {
    return verifier.checkSignature(xml);
  } catch {
    return false;
  }
}
