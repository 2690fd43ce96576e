import { aesGcmDecrypt, aesGcmIvBytes, aesGcmTagBytes, hmacSha256, importRsaOaepPrivateKey, isCryptoKey, rsaOaepSha1Decrypt, sha256, subtle, utf8Encode } from "@obol/crypto/web";
import type { AesKey } from "@obol/crypto/web";
import { unwrapAgreementKey } from "./agreement.js";
import type { AgreedKey } from "./agreement.js";
import { XMLSerializer } from "@xmldom/xmldom";
import { decodeBase64 } from "./base64.js";
import {
  attributeValue,
  childElements,
  descendantElements,
  expectChildren,
  isElement,
  isNamed,
  onlyAttributes,
  textOnly,
} from "./dom.js";
import { XmlError } from "./errors.js";
import { escapeAttribute, escapeXml11LineEnds } from "./escape.js";
import { isKeyName } from "./keys.js";
import type { KeyObjectLike } from "./keys.js";
import { encryptedDataMax } from "./limits.js";
import {
  aes128GcmAlgorithm,
  aes256GcmAlgorithm,
  dsigNs,
  rsaOaepMgf1pAlgorithm,
  sha1DigestAlgorithm,
  xencNs,
  xencTypeContent,
  xencTypeElement,
  xmlnsNs,
} from "./namespaces.js";
import { parseXml } from "./parse.js";
import type { ParseLimits, ParseOptions, ParsedXml } from "./parse.js";

/** Limits for parsing decrypted content (the defaults of parseXml otherwise). */
export interface DecryptOptions {
  readonly limits?: Partial<ParseLimits>;
}

/** What openMessage() tells a session-key resolver about the (already verified) signer of the message. */
export interface SessionKeyContext {
  /** keyFingerprint() of the trusted key that verified the message's signature. */
  readonly signerFingerprint: string;
}

/** The keys a recipient decrypts with. Which one applies is decided by the EncryptedData's KeyInfo. */
export interface DecryptionKeys {
  /** RSA private key for xenc:EncryptedKey with rsa-oaep-mgf1p: a private KeyObject, or an EXTRACTABLE RSA-OAEP
   * (SHA-1) CryptoKey (implicit rejection derives a secret from the key, see rejectionKey()). */
  readonly privateKey?: KeyObjectLike | CryptoKey;
  /** Looks a named session key up (ds:KeyName). undefined: unknown name, which fails like a wrong key. */
  readonly resolveSessionKey?: (name: string, context: SessionKeyContext | undefined) => AesKey | undefined | Promise<AesKey | undefined>;
  /** ECDH P-256 key pair for an EncryptedKey by key agreement (ECDH-ES, agreement.ts). */
  readonly agreementKey?: { readonly privateKey: CryptoKey; readonly publicKey: CryptoKey };
  /** Make a key received by agreement extractable (a CLI that stores it); default false (stays in WebCrypto). */
  readonly extractableAgreedKey?: boolean;
}

export interface DecryptedData {
  readonly type: "element" | "content";
  /** The decrypted nodes, parsed (hardened) in the namespace context of the EncryptedData; they belong to
   * a document of their own. For type "element" exactly one Element. */
  readonly nodes: readonly Node[];
  /** Children of every xenc:EncryptionProperty (xmlenc-core1 §3.7). Only as trustworthy as the container. */
  readonly properties: readonly Element[];
  /** The decrypted octets exactly (what a commitment in the properties refers to). */
  readonly plaintext: Uint8Array;
  /** The content key, when it arrived by key agreement with an xenc:CarriedKeyName (a named session key). */
  readonly carriedKey?: AgreedKey;
}

/** xmlenc-core1 §5.2.4: the allow-listed content encryption algorithms and their key sizes. */
const contentAlgorithms: ReadonlyMap<string, number> = new Map([
  [aes256GcmAlgorithm, 32],
  [aes128GcmAlgorithm, 16],
]);

const failed = (): XmlError => new XmlError("ERR_XML_DECRYPT_FAILED", "decryption failed");

function malformed(message: string): XmlError {
  return new XmlError("ERR_XML_MALFORMED", message);
}

function children(parent: Element, expected: ReadonlyArray<readonly [string, string, boolean?]>, what: string): Array<Element | undefined> {
  return expectChildren(parent, expected, "ERR_XML_MALFORMED", what);
}

function algorithmOf(element: Element, what: string): string {
  const algorithm = attributeValue(element, "Algorithm");
  if (algorithm === undefined) throw malformed(`${what} has no Algorithm`);
  return algorithm;
}

/** CipherData with a CipherValue only: a CipherReference would make the recipient fetch a URI (SSRF). */
function cipherValueOf(cipherData: Element, what: string): Uint8Array {
  onlyAttributes(cipherData, [], "ERR_XML_MALFORMED", what);
  const [value] = children(cipherData, [[xencNs, "CipherValue", false]], what) as [Element];
  onlyAttributes(value, [], "ERR_XML_MALFORMED", "CipherValue");
  const bytes = decodeBase64(textOnly(value, "ERR_XML_MALFORMED", "CipherValue"));
  if (bytes === null) throw malformed("CipherValue is not base64");
  return bytes;
}

interface RsaDecryptionKey {
  readonly key: CryptoKey;
  /** SHA-256 of the PKCS#8 private key: the secret of implicit rejection. */
  readonly rejectionSecret: Uint8Array;
}

const rsaKeys = new WeakMap<object, Promise<RsaDecryptionKey | undefined>>();

/** The RSA-OAEP CryptoKey and rejection secret of a private KeyObject or extractable CryptoKey (cached). */
function rsaDecryptionKey(privateKey: KeyObjectLike | CryptoKey | undefined): Promise<RsaDecryptionKey | undefined> {
  if (typeof privateKey !== "object" || privateKey === null) return Promise.resolve(undefined);
  let resolved = rsaKeys.get(privateKey);
  if (resolved === undefined) {
    resolved = (async () => {
      let pkcs8: Uint8Array;
      if (isCryptoKey(privateKey)) {
        if (privateKey.type !== "private" || !privateKey.extractable) return undefined;
        pkcs8 = new Uint8Array(await subtle().exportKey("pkcs8", privateKey));
      } else if (privateKey.type === "private" && privateKey.asymmetricKeyType === "rsa") {
        pkcs8 = new Uint8Array(privateKey.export({ format: "der", type: "pkcs8" }));
      } else {
        return undefined;
      }
      try {
        const key = await importRsaOaepPrivateKey(pkcs8);
        return { key, rejectionSecret: await sha256(new Uint8Array([...utf8Encode("obol-xml-implicit-rejection"), ...pkcs8])) };
      } catch {
        return undefined;
      } finally {
        pkcs8.fill(0);
      }
    })();
    rsaKeys.set(privateKey, resolved);
  }
  return resolved;
}

/**
 * A key that stands in when RSA-OAEP decoding fails ("implicit rejection", the Bleichenbacher/Marvin
 * countermeasure of RFC 8017 §7.1.2 note and OpenSSL 3.2): AES-GCM then runs anyway and fails like any
 * wrong key, so a bad key transport and a bad tag are one outcome. Deterministic and secret: an HMAC under
 * a hash of the private key, so an attacker can neither predict it nor make it differ between retries.
 */
async function rejectionKey(secret: Uint8Array, wrapped: Uint8Array, length: number): Promise<Uint8Array> {
  return (await hmacSha256(secret, wrapped)).subarray(0, length);
}

/** xmlenc-core1 §3.5.1 EncryptedKey: rsa-oaep-mgf1p (MGF1-SHA1, OAEP digest SHA-1), no OAEPparams. */
async function unwrapKey(encryptedKey: Element, keys: DecryptionKeys, keyBytes: number): Promise<Uint8Array> {
  onlyAttributes(encryptedKey, ["Id", "Recipient"], "ERR_XML_MALFORMED", "EncryptedKey");
  const [method, , cipherData] = children(
    encryptedKey,
    [
      [xencNs, "EncryptionMethod", false],
      [dsigNs, "KeyInfo", true], // names the recipient; we decrypt with our own key whatever it says
      [xencNs, "CipherData", false],
    ],
    "EncryptedKey",
  ) as [Element, Element | undefined, Element];
  onlyAttributes(method, ["Algorithm"], "ERR_XML_MALFORMED", "EncryptionMethod");
  if (algorithmOf(method, "EncryptedKey EncryptionMethod") !== rsaOaepMgf1pAlgorithm) {
    throw new XmlError("ERR_XML_ALGORITHM", "key transport must be rsa-oaep-mgf1p");
  }
  const [digest] = children(method, [[dsigNs, "DigestMethod", true]], "EncryptionMethod");
  if (digest !== undefined) {
    onlyAttributes(digest, ["Algorithm"], "ERR_XML_MALFORMED", "DigestMethod");
    if (algorithmOf(digest, "DigestMethod") !== sha1DigestAlgorithm) {
      throw new XmlError("ERR_XML_ALGORITHM", "rsa-oaep-mgf1p is interoperable with SHA-1 as OAEP digest only");
    }
  }
  const wrapped = cipherValueOf(cipherData, "EncryptedKey CipherData");
  const rsa = await rsaDecryptionKey(keys.privateKey);
  if (rsa === undefined) throw failed();
  let key: Uint8Array | undefined;
  try {
    key = await rsaOaepSha1Decrypt(rsa.key, wrapped);
  } catch {
    key = undefined;
  }
  return key !== undefined && key.byteLength === keyBytes ? key : rejectionKey(rsa.rejectionSecret, wrapped, keyBytes);
}

async function sessionKey(keyName: Element, keys: DecryptionKeys, keyBytes: number, context: SessionKeyContext | undefined): Promise<AesKey> {
  onlyAttributes(keyName, [], "ERR_XML_MALFORMED", "KeyName");
  const name = textOnly(keyName, "ERR_XML_MALFORMED", "KeyName").trim();
  if (!isKeyName(name)) throw malformed("KeyName must be 1 to 256 printable characters");
  const key = await keys.resolveSessionKey?.(name, context);
  if (key === undefined || aesKeyBytesOf(key) !== keyBytes) throw failed();
  return key;
}

function aesKeyBytesOf(key: AesKey): number {
  if (isCryptoKey(key)) return ((key.algorithm as { length?: number }).length ?? 0) / 8;
  return key instanceof Uint8Array ? key.byteLength : -1;
}

/** An EncryptedKey whose KeyInfo holds an xenc:AgreementMethod (key agreement) rather than naming a recipient. */
function isAgreement(encryptedKey: Element): boolean {
  for (let child = encryptedKey.firstChild; child !== null; child = child.nextSibling) {
    if (isNamed(child, dsigNs, "KeyInfo")) {
      for (let inner = child.firstChild; inner !== null; inner = inner.nextSibling) if (isNamed(inner, xencNs, "AgreementMethod")) return true;
    }
  }
  return false;
}

/** The namespace declarations in scope at `element` (nearest wins), to parse decrypted content in context. */
function inScopeDeclarations(element: Element): Map<string, string> {
  const declarations = new Map<string, string>();
  for (let node: Node | null = element; node !== null && isElement(node); node = node.parentNode) {
    for (let i = 0; i < node.attributes.length; i++) {
      const attribute = node.attributes.item(i) as Attr;
      if (attribute.namespaceURI !== xmlnsNs) continue;
      const prefix = attribute.prefix === "xmlns" ? attribute.localName : "";
      if (!declarations.has(prefix)) declarations.set(prefix, attribute.value);
    }
  }
  return declarations;
}

const wrapperNs = "urn:obol:xml:decrypted";
const wrapperPrefix = "obol-decrypted";

/** xmlenc-core1 §4.5 step 3.2: the plaintext octets parsed as XML in the context of the EncryptedData. */
function parsePlaintext(plaintext: Uint8Array, context: Element, options: DecryptOptions): Node[] {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
  } catch {
    throw malformed("the decrypted content is not UTF-8");
  }
  const declarations = [...inScopeDeclarations(context)]
    .filter(([prefix]) => prefix !== "xml" && prefix !== wrapperPrefix)
    .map(([prefix, uri]) => ` ${prefix === "" ? "xmlns" : `xmlns:${prefix}`}="${escapeAttribute(uri)}"`)
    .join("");
  const wrapped = `<${wrapperPrefix}:w xmlns:${wrapperPrefix}="${wrapperNs}"${declarations}>${text}</${wrapperPrefix}:w>`;
  const parsed = parseXml(wrapped, options.limits === undefined ? {} : { limits: options.limits });
  const nodes: Node[] = [];
  for (let child = parsed.root.firstChild; child !== null; child = child.nextSibling) nodes.push(child);
  if (descendantElements(parsed.root).some((e) => isNamed(e, xencNs, "EncryptedData"))) {
    throw malformed("decrypted content holds EncryptedData (nested encryption is not accepted)");
  }
  return nodes;
}

/**
 * Decrypts one xenc:EncryptedData (xmlenc-core1 §4.5) without changing its document. Allow-list: AES-256-GCM
 * and AES-128-GCM content encryption; rsa-oaep-mgf1p key transport or a named session key (ds:KeyName).
 * CBC and everything else: ERR_XML_ALGORITHM. Any failure of the key or the tag: ERR_XML_DECRYPT_FAILED,
 * with no detail. A shape outside the profile: ERR_XML_MALFORMED.
 */
export async function decryptElement(encryptedData: Element, keys: DecryptionKeys, options: DecryptOptions = {}, context?: SessionKeyContext): Promise<DecryptedData> {
  if (!isNamed(encryptedData, xencNs, "EncryptedData")) throw malformed("not an xenc:EncryptedData");
  onlyAttributes(encryptedData, ["Id", "Type", "MimeType", "Encoding"], "ERR_XML_MALFORMED", "EncryptedData");
  const typeUri = attributeValue(encryptedData, "Type");
  const type = typeUri === xencTypeElement ? "element" : typeUri === xencTypeContent ? "content" : undefined;
  if (type === undefined) throw malformed("EncryptedData Type must be #Element or #Content");
  const [method, keyInfo, cipherData, properties] = children(
    encryptedData,
    [
      [xencNs, "EncryptionMethod", false],
      [dsigNs, "KeyInfo", false],
      [xencNs, "CipherData", false],
      [xencNs, "EncryptionProperties", true],
    ],
    "EncryptedData",
  ) as [Element, Element, Element, Element | undefined];

  onlyAttributes(method, ["Algorithm"], "ERR_XML_MALFORMED", "EncryptionMethod");
  const keyBytes = contentAlgorithms.get(algorithmOf(method, "EncryptionMethod"));
  if (keyBytes === undefined) throw new XmlError("ERR_XML_ALGORITHM", "content encryption must be AES-GCM (CBC is refused)");
  children(method, [], "EncryptionMethod");

  onlyAttributes(keyInfo, [], "ERR_XML_MALFORMED", "KeyInfo");
  const keyInfoChildren = childElements(keyInfo, "ERR_XML_MALFORMED", "KeyInfo");
  const carrier = keyInfoChildren[0];
  if (keyInfoChildren.length !== 1 || carrier === undefined) throw malformed("KeyInfo must hold one EncryptedKey or one KeyName");
  const propertyChildren: Element[] = [];
  if (properties !== undefined) {
    onlyAttributes(properties, ["Id"], "ERR_XML_MALFORMED", "EncryptionProperties");
    for (const property of childElements(properties, "ERR_XML_MALFORMED", "EncryptionProperties")) {
      if (!isNamed(property, xencNs, "EncryptionProperty")) throw malformed("EncryptionProperties holds EncryptionProperty only");
      onlyAttributes(property, ["Id", "Target"], "ERR_XML_MALFORMED", "EncryptionProperty");
      propertyChildren.push(...childElements(property, "ERR_XML_MALFORMED", "EncryptionProperty"));
    }
  }
  const cipherValue = cipherValueOf(cipherData, "CipherData");

  let key: AesKey;
  let carriedKey: AgreedKey | undefined;
  if (isNamed(carrier, xencNs, "EncryptedKey") && isAgreement(carrier)) {
    if (keys.agreementKey === undefined) throw failed();
    carriedKey = await unwrapAgreementKey(carrier, keys.agreementKey, keys.extractableAgreedKey === true);
    key = carriedKey.key;
    if (aesKeyBytesOf(key) !== keyBytes) throw failed();
  } else if (isNamed(carrier, xencNs, "EncryptedKey")) {
    key = await unwrapKey(carrier, keys, keyBytes);
  } else if (isNamed(carrier, dsigNs, "KeyName")) {
    key = await sessionKey(carrier, keys, keyBytes, context);
  } else {
    throw malformed("KeyInfo must hold one EncryptedKey or one KeyName (no RetrievalMethod)");
  }

  // xmlenc-core1 §5.2.4: IV (96 bits) || ciphertext || tag (128 bits).
  if (cipherValue.byteLength < aesGcmIvBytes + aesGcmTagBytes) throw failed();
  let plaintext: Uint8Array;
  try {
    plaintext = await aesGcmDecrypt(key, cipherValue.subarray(0, aesGcmIvBytes), cipherValue.subarray(aesGcmIvBytes));
  } catch {
    throw failed();
  }
  const parent = encryptedData.parentNode !== null && isElement(encryptedData.parentNode) ? encryptedData.parentNode : encryptedData;
  const nodes = parsePlaintext(plaintext, parent, options);
  if (type === "element") {
    const elements = nodes.filter(isElement);
    const onlyElement = elements.length === 1 && nodes.every((node) => isElement(node) || /^[ \t\r\n]*$/.test(node.nodeValue ?? ""));
    if (!onlyElement) throw malformed("decrypted #Element content must be exactly one element");
    return { type, nodes: elements, properties: propertyChildren, plaintext, ...(carriedKey !== undefined ? { carriedKey } : {}) };
  }
  return { type, nodes, properties: propertyChildren, plaintext, ...(carriedKey !== undefined ? { carriedKey } : {}) };
}

/**
 * Decrypts every xenc:EncryptedData in `xml` in place (document order; at most encryptedDataMax) and returns
 * the result, hardened-parsed again so the limits hold for the decrypted document too.
 */
export async function decryptXml(xml: string | Uint8Array, keys: DecryptionKeys, options: ParseOptions = {}): Promise<ParsedXml> {
  const parsed = parseXml(xml, options);
  const targets = descendantElements(parsed.root).filter((e) => isNamed(e, xencNs, "EncryptedData"));
  if (targets.length > encryptedDataMax) {
    throw new XmlError("ERR_XML_LIMIT", `more than ${encryptedDataMax} EncryptedData elements`);
  }
  for (const target of targets) {
    if (descendantElements(target).some((e) => e !== target && isNamed(e, xencNs, "EncryptedData"))) {
      throw malformed("EncryptedData inside EncryptedData");
    }
    const decrypted = await decryptElement(target, keys, options);
    const parent = target.parentNode as Node;
    for (const node of decrypted.nodes) parent.insertBefore(parsed.document.importNode(node, true), target);
    parent.removeChild(target);
  }
  const serialized = escapeXml11LineEnds(new XMLSerializer().serializeToString(parsed.document));
  return parseXml(serialized, options);
}
