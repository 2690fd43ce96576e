import { aesGcmEncrypt, aesGcmIvBytes, aesKeyBytes, importRsaOaepPublicKey, isCryptoKey, rsaOaepSha1Encrypt, subtle, utf8Encode } from "@obol/crypto/web";
import type { AesKey } from "@obol/crypto/web";
import { XMLSerializer } from "@xmldom/xmldom";
import { agreementEncryptedKeyXml } from "./agreement.js";
import type { AgreementRecipient } from "./agreement.js";
import { readCertificate } from "./certificates.js";
import type { CertificateInput } from "./certificates.js";
import { encodeBase64 } from "./base64.js";
import { descendantElements, isNamed } from "./dom.js";
import { XmlError } from "./errors.js";
import { escapeXml11LineEnds } from "./escape.js";
import { isKeyName, spkiFingerprint } from "./keys.js";
import type { KeyObjectLike } from "./keys.js";
import { keyNameCharsMax } from "./limits.js";
import {
  aes128GcmAlgorithm,
  aes256GcmAlgorithm,
  dsigNs,
  rsaOaepMgf1pAlgorithm,
  sha1DigestAlgorithm,
  xencNs,
  xencTypeContent,
  xencTypeElement,
} from "./namespaces.js";
import type { QualifiedName } from "./namespaces.js";
import { parseXml } from "./parse.js";
import { ncNamePattern } from "./scan.js";

/** How the content-encryption key reaches the recipient (xmlenc-core1 §3.5.1 EncryptedKey, §3.6 KeyName). */
export type KeyTransport =
  /** A fresh AES key wrapped with RSA-OAEP, MGF1-SHA1 (rsa-oaep-mgf1p, xmlenc-core1 §5.5.2) to the recipient. */
  | {
      readonly kind: "rsa-oaep";
      /** The recipient's certificate (DER or Node X509Certificate), RSA public KeyObject, or RSA-OAEP CryptoKey. */
      readonly recipient: CertificateInput | KeyObjectLike | CryptoKey;
    }
  /** A session key both sides know by name (seed 004's CarriedKeyName, modernised): ds:KeyName only. */
  | {
      readonly kind: "session-key";
      readonly name: string;
      /** 16 bytes (aes128-gcm) or 32 bytes (aes256-gcm), or an AES-GCM CryptoKey of either size. */
      readonly key: AesKey;
    }
  /**
   * `key` (the content key, 16 or 32 bytes) delivered to the holder of an ECDH P-256 key by ECDH-ES + ConcatKDF +
   * kw-aes256 (agreement.ts), named by xenc:CarriedKeyName: how a named session key reaches its device.
   */
  | {
      readonly kind: "key-agreement";
      readonly key: Uint8Array;
      readonly carriedKeyName: string;
      readonly recipient: AgreementRecipient;
    };

export interface EncryptOptions {
  /** "element": the element itself is replaced (Type #Element); "content": only its children are. */
  readonly type: "element" | "content";
  readonly keyTransport: KeyTransport;
  /** Content encryption with RSA-OAEP key transport; with a session key its length decides. Default aes256-gcm. */
  readonly algorithm?: "aes256-gcm" | "aes128-gcm";
  /** Randomness for the content key and the IV (pure functions take it from the caller). */
  readonly random: (bytes: number) => Uint8Array;
  /** Id of the EncryptedData (an NCName). */
  readonly id?: string;
  /** Child elements for one xenc:EncryptionProperty (xmlenc-core1 §3.7), in clear; a function receives the
   * exact plaintext octets (to commit to them, see envelope.ts). */
  readonly properties?: readonly Element[] | ((plaintext: Uint8Array) => readonly Element[] | Promise<readonly Element[]>);
}

function el(doc: Document, namespaceUri: string, qualifiedName: string, attributes: Record<string, string> = {}): Element {
  const element = doc.createElementNS(namespaceUri, qualifiedName);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

function textEl(doc: Document, namespaceUri: string, qualifiedName: string, text: string): Element {
  const element = el(doc, namespaceUri, qualifiedName);
  element.appendChild(doc.createTextNode(text));
  return element;
}

/** The octets XML Encryption encrypts (xmlenc-core1 §4.1 step 3): the serialized element or content. */
function serialize(target: Element, type: "element" | "content"): Uint8Array {
  const serializer = new XMLSerializer();
  let text = "";
  if (type === "element") {
    text = serializer.serializeToString(target);
  } else {
    for (let child = target.firstChild; child !== null; child = child.nextSibling) {
      text += serializer.serializeToString(child);
    }
  }
  return utf8Encode(escapeXml11LineEnds(text));
}

function contentAlgorithm(options: EncryptOptions): { uri: string; keyBytes: number } {
  if (options.keyTransport.kind !== "rsa-oaep") {
    const length = aesKeyBytes(options.keyTransport.key);
    if (length === 32) return { uri: aes256GcmAlgorithm, keyBytes: 32 };
    if (length === 16) return { uri: aes128GcmAlgorithm, keyBytes: 16 };
    throw new XmlError("ERR_XML_ALGORITHM", "a session key must be 16 or 32 bytes (AES-128/256-GCM)");
  }
  return options.algorithm === "aes128-gcm"
    ? { uri: aes128GcmAlgorithm, keyBytes: 16 }
    : { uri: aes256GcmAlgorithm, keyBytes: 32 };
}

/** The RSA-OAEP key of a recipient given as a certificate, a public KeyObject or a CryptoKey, with its SPKI. */
async function rsaRecipient(recipient: CertificateInput | KeyObjectLike | CryptoKey): Promise<{ publicKey: CryptoKey; spki: Uint8Array }> {
  let spki: Uint8Array;
  if (isCryptoKey(recipient)) {
    spki = new Uint8Array(await subtle().exportKey("spki", recipient));
  } else if (recipient instanceof Uint8Array || (typeof recipient === "object" && recipient !== null && "raw" in recipient)) {
    spki = readCertificate(recipient as CertificateInput).spki;
  } else if (typeof recipient === "object" && recipient !== null && (recipient as KeyObjectLike).type === "public") {
    spki = new Uint8Array((recipient as KeyObjectLike).export({ format: "der", type: "spki" }));
  } else {
    throw new XmlError("ERR_XML_ALGORITHM", "the recipient must be a certificate or an RSA public key");
  }
  try {
    return { publicKey: await importRsaOaepPublicKey(spki), spki };
  } catch {
    throw new XmlError("ERR_XML_ALGORITHM", "the recipient key must be RSA of 2048 to 8192 bits");
  }
}

function randomOf(options: EncryptOptions, bytes: number): Uint8Array {
  const out = options.random(bytes);
  if (!(out instanceof Uint8Array) || out.byteLength !== bytes) {
    throw new XmlError("ERR_XML_ALGORITHM", `random(${bytes}) must return ${bytes} bytes`);
  }
  return out;
}

/**
 * Encrypts `target` (type "element") or its content (type "content") in place with AES-GCM
 * (xmlenc-core1 §5.2.4: CipherValue = IV || ciphertext || 128-bit tag) and returns the new
 * xenc:EncryptedData. The key reaches the recipient by RSA-OAEP (MGF1-SHA1) or by name (ds:KeyName).
 */
export async function encryptElement(target: Element, options: EncryptOptions): Promise<Element> {
  const doc = target.ownerDocument;
  if (doc === null) throw new XmlError("ERR_XML_MALFORMED", "the element is not in a document");
  if (options.type === "element" && target === doc.documentElement) {
    throw new XmlError("ERR_XML_MALFORMED", "the document element itself cannot be replaced; encrypt its content");
  }
  if (descendantElements(target).some((e) => isNamed(e, dsigNs, "Signature"))) {
    throw new XmlError("ERR_XML_MALFORMED", "encrypt before signing: the target holds a signature");
  }
  if (options.id !== undefined && !ncNamePattern.test(options.id)) {
    throw new XmlError("ERR_XML_MALFORMED", "the EncryptedData Id must be an NCName");
  }
  const { uri, keyBytes } = contentAlgorithm(options);
  const transport = options.keyTransport;
  const key = transport.kind === "rsa-oaep" ? randomOf(options, keyBytes) : transport.key;
  const iv = randomOf(options, aesGcmIvBytes);
  const plaintext = serialize(target, options.type);
  const sealed = await aesGcmEncrypt(key, iv, plaintext);
  const cipherValue = new Uint8Array(iv.byteLength + sealed.byteLength);
  cipherValue.set(iv, 0);
  cipherValue.set(sealed, iv.byteLength);

  const encryptedData = el(doc, xencNs, "xenc:EncryptedData", {
    ...(options.id !== undefined ? { Id: options.id } : {}),
    Type: options.type === "element" ? xencTypeElement : xencTypeContent,
  });
  encryptedData.appendChild(el(doc, xencNs, "xenc:EncryptionMethod", { Algorithm: uri }));
  const keyInfo = encryptedData.appendChild(el(doc, dsigNs, "ds:KeyInfo"));
  if (transport.kind === "session-key") {
    const name = transport.name;
    if (!isKeyName(name)) {
      throw new XmlError("ERR_XML_MALFORMED", `a session key name must be 1 to ${keyNameCharsMax} printable characters`);
    }
    keyInfo.appendChild(textEl(doc, dsigNs, "ds:KeyName", name));
  } else if (transport.kind === "key-agreement") {
    const xml = await agreementEncryptedKeyXml(transport.key, transport.carriedKeyName, transport.recipient);
    keyInfo.appendChild(doc.importNode(parseXml(xml).root, true));
  } else {
    const { publicKey, spki } = await rsaRecipient(transport.recipient);
    const wrapped = await rsaOaepSha1Encrypt(publicKey, key as Uint8Array);
    // Recipient (xmlenc-core1 §3.5.1) names the recipient's key compactly, for key rotation; the
    // certificate itself would add 1.2 KB to every message and xmlsec1 needs neither.
    const encryptedKey = keyInfo.appendChild(
      el(doc, xencNs, "xenc:EncryptedKey", { Recipient: `spki-sha256:${await spkiFingerprint(spki)}` }),
    );
    const method = encryptedKey.appendChild(el(doc, xencNs, "xenc:EncryptionMethod", { Algorithm: rsaOaepMgf1pAlgorithm }));
    method.appendChild(el(doc, dsigNs, "ds:DigestMethod", { Algorithm: sha1DigestAlgorithm }));
    const keyCipherData = encryptedKey.appendChild(el(doc, xencNs, "xenc:CipherData"));
    keyCipherData.appendChild(textEl(doc, xencNs, "xenc:CipherValue", encodeBase64(wrapped)));
  }
  const cipherData = encryptedData.appendChild(el(doc, xencNs, "xenc:CipherData"));
  cipherData.appendChild(textEl(doc, xencNs, "xenc:CipherValue", encodeBase64(cipherValue)));
  const extra = typeof options.properties === "function" ? await options.properties(plaintext) : (options.properties ?? []);
  if (extra.length > 0) {
    const properties = encryptedData.appendChild(el(doc, xencNs, "xenc:EncryptionProperties"));
    const property = properties.appendChild(el(doc, xencNs, "xenc:EncryptionProperty"));
    for (const child of extra) property.appendChild(doc.importNode(child, true));
  }

  if (options.type === "element") {
    target.parentNode?.replaceChild(encryptedData, target);
  } else {
    while (target.firstChild !== null) target.removeChild(target.firstChild);
    target.appendChild(encryptedData);
  }
  return encryptedData;
}

/**
 * String form of encryptElement(): encrypts the one element named `target` in `xml` (hardened-parsed,
 * so never a comment or a DTD in what gets encrypted) and returns the document.
 */
export async function encryptXml(xml: string, target: QualifiedName, options: EncryptOptions): Promise<string> {
  const parsed = parseXml(xml);
  const matches = descendantElements(parsed.root).filter((e) => isNamed(e, target.namespaceUri, target.localName));
  if (matches.length !== 1) {
    throw new XmlError("ERR_XML_MALFORMED", `expected exactly one {${target.namespaceUri}}${target.localName}, found ${matches.length}`);
  }
  await encryptElement(matches[0] as Element, options);
  return escapeXml11LineEnds(new XMLSerializer().serializeToString(parsed.document));
}
