import { aesKwUnwrap, aesKwWrap, concatKdfSha256, decodeP256Point, ecdhP256, exportP256Point, fromBase64, generateEcdhP256KeyPair, toHex, utf8Encode } from "@obol/crypto/web";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { attributeValue, expectChildren, onlyAttributes, textOnly } from "./dom.js";
import { XmlError } from "./errors.js";
import { isKeyName } from "./keys.js";
import {
  concatKdfAlgorithm,
  dsig11Ns,
  dsigNs,
  ecdhEsAlgorithm,
  kwAes256Algorithm,
  p256CurveUri,
  sha256DigestAlgorithm,
  xenc11Ns,
  xencNs,
} from "./namespaces.js";
import { escapeAttribute, escapeText } from "./escape.js";

/**
 * A key delivered by key agreement (xmlenc-core1 §5.6): an xenc:EncryptedKey wrapped with kw-aes256 (RFC 3394)
 * under a key-encryption key that ECDH-ES (§5.6.2) over P-256 and ConcatKDF with SHA-256 (§5.4.1) derive, the
 * sender's ephemeral public key in OriginatorKeyInfo, the recipient's in RecipientKeyInfo, and the name the key
 * will be known by in xenc:CarriedKeyName (§3.5.1; seed 004's CarriedKeyName). This is how the platform
 * hands a device its named session key.
 *
 *   <xenc:EncryptedKey>
 *     <xenc:EncryptionMethod Algorithm="…xmlenc#kw-aes256"/>
 *     <ds:KeyInfo><xenc:AgreementMethod Algorithm="…xmlenc11#ECDH-ES">
 *       <xenc11:KeyDerivationMethod Algorithm="…xmlenc11#ConcatKDF">
 *         <xenc11:ConcatKDFParams AlgorithmID="00…" PartyUInfo="00…" PartyVInfo="00…">
 *           <ds:DigestMethod Algorithm="…xmlenc#sha256"/></xenc11:ConcatKDFParams></xenc11:KeyDerivationMethod>
 *       <xenc:OriginatorKeyInfo><ds:KeyValue><dsig11:ECKeyValue>…</dsig11:ECKeyValue></ds:KeyValue></xenc:OriginatorKeyInfo>
 *       <xenc:RecipientKeyInfo><ds:KeyValue><dsig11:ECKeyValue>…</dsig11:ECKeyValue></ds:KeyValue></xenc:RecipientKeyInfo>
 *     </xenc:AgreementMethod></ds:KeyInfo>
 *     <xenc:CipherData><xenc:CipherValue>…wrapped key…</xenc:CipherValue></xenc:CipherData>
 *     <xenc:CarriedKeyName>sk-…</xenc:CarriedKeyName>
 *   </xenc:EncryptedKey>
 */

/** Longest PartyUInfo / PartyVInfo accepted, in bytes. */
export const kdfPartyInfoBytesMax = 256;

export interface AgreementRecipient {
  /** The recipient's P-256 ECDH public key as an uncompressed or compressed SEC1 point. */
  readonly point: Uint8Array;
  /** ConcatKDF PartyUInfo / PartyVInfo (SP 800-56A §5.8.1.2): who derives, for whom. */
  readonly partyUInfo: string;
  readonly partyVInfo: string;
}

function ecKeyValue(point: Uint8Array): string {
  return (
    `<ds:KeyValue><dsig11:ECKeyValue xmlns:dsig11="${dsig11Ns}"><dsig11:NamedCurve URI="${p256CurveUri}"/>` +
    `<dsig11:PublicKey>${encodeBase64(point)}</dsig11:PublicKey></dsig11:ECKeyValue></ds:KeyValue>`
  );
}

/** xmlenc-core1 §5.4.1: hexBinary with a leading "00" octet (the number of padding bits). */
function bitString(text: string): string {
  return `00${toHex(utf8Encode(text))}`;
}

/**
 * The xenc:EncryptedKey (as XML text, prefixes xenc/xenc11/ds bound on the element) that carries `key` (16 or
 * 32 bytes) to the holder of the recipient's ECDH private key, under the name `carriedKeyName`.
 */
export async function agreementEncryptedKeyXml(key: Uint8Array, carriedKeyName: string, recipient: AgreementRecipient): Promise<string> {
  if (!isKeyName(carriedKeyName)) throw new XmlError("ERR_XML_MALFORMED", "CarriedKeyName must be a key name");
  const recipientPoint = decodeP256Point(recipient.point);
  const uncompressed = new Uint8Array([0x04, ...recipientPoint.x, ...recipientPoint.y]);
  const [partyU, partyV] = [utf8Encode(recipient.partyUInfo), utf8Encode(recipient.partyVInfo)];
  if (partyU.byteLength > kdfPartyInfoBytesMax || partyV.byteLength > kdfPartyInfoBytesMax) {
    throw new XmlError("ERR_XML_LIMIT", `PartyUInfo and PartyVInfo are at most ${kdfPartyInfoBytesMax} bytes`);
  }
  const ephemeral = await generateEcdhP256KeyPair();
  const z = await ecdhP256(ephemeral.privateKey, uncompressed);
  const kek = await concatKdfSha256(z, { algorithmId: utf8Encode(kwAes256Algorithm), partyUInfo: partyU, partyVInfo: partyV });
  const wrapped = await aesKwWrap(kek, key);
  z.fill(0);
  kek.fill(0);
  return (
    `<xenc:EncryptedKey xmlns:xenc="${xencNs}" xmlns:xenc11="${xenc11Ns}" xmlns:ds="${dsigNs}">` +
    `<xenc:EncryptionMethod Algorithm="${kwAes256Algorithm}"/>` +
    `<ds:KeyInfo><xenc:AgreementMethod Algorithm="${ecdhEsAlgorithm}">` +
    `<xenc11:KeyDerivationMethod Algorithm="${concatKdfAlgorithm}">` +
    `<xenc11:ConcatKDFParams AlgorithmID="${bitString(kwAes256Algorithm)}" PartyUInfo="${escapeAttribute(bitString(recipient.partyUInfo))}"` +
    ` PartyVInfo="${escapeAttribute(bitString(recipient.partyVInfo))}"><ds:DigestMethod Algorithm="${sha256DigestAlgorithm}"/>` +
    `</xenc11:ConcatKDFParams></xenc11:KeyDerivationMethod>` +
    `<xenc:OriginatorKeyInfo>${ecKeyValue(await exportP256Point(ephemeral.publicKey))}</xenc:OriginatorKeyInfo>` +
    `<xenc:RecipientKeyInfo>${ecKeyValue(uncompressed)}</xenc:RecipientKeyInfo>` +
    `</xenc:AgreementMethod></ds:KeyInfo>` +
    `<xenc:CipherData><xenc:CipherValue>${encodeBase64(wrapped)}</xenc:CipherValue></xenc:CipherData>` +
    `<xenc:CarriedKeyName>${escapeText(carriedKeyName)}</xenc:CarriedKeyName></xenc:EncryptedKey>`
  );
}

function malformed(message: string): XmlError {
  return new XmlError("ERR_XML_MALFORMED", message);
}

function only(parent: Element, expected: ReadonlyArray<readonly [string, string, boolean?]>, what: string): Array<Element | undefined> {
  return expectChildren(parent, expected, "ERR_XML_MALFORMED", what);
}

/** A dsig11:ECKeyValue on P-256 inside a ds:KeyValue: the SEC1 point. */
function readEcKeyValue(holder: Element, what: string): Uint8Array {
  onlyAttributes(holder, [], "ERR_XML_MALFORMED", what);
  const [keyValue] = only(holder, [[dsigNs, "KeyValue"]], what) as [Element];
  onlyAttributes(keyValue, [], "ERR_XML_MALFORMED", "KeyValue");
  const [ec] = only(keyValue, [[dsig11Ns, "ECKeyValue"]], "KeyValue") as [Element];
  onlyAttributes(ec, ["Id"], "ERR_XML_MALFORMED", "ECKeyValue");
  const [curve, publicKey] = only(ec, [[dsig11Ns, "NamedCurve"], [dsig11Ns, "PublicKey"]], "ECKeyValue") as [Element, Element];
  onlyAttributes(curve, ["URI"], "ERR_XML_MALFORMED", "NamedCurve");
  if (attributeValue(curve, "URI") !== p256CurveUri) throw new XmlError("ERR_XML_ALGORITHM", "key agreement is on P-256 only");
  only(curve, [], "NamedCurve");
  onlyAttributes(publicKey, [], "ERR_XML_MALFORMED", "PublicKey");
  const point = decodeBase64(textOnly(publicKey, "ERR_XML_MALFORMED", "PublicKey"));
  if (point === null) throw malformed("PublicKey is not base64");
  return point;
}

/** The bytes of a ConcatKDFParams bit string: "00" then whole octets (no padding bits), at most `max` bytes. */
function readBitString(element: Element, name: string, max: number): Uint8Array {
  const text = attributeValue(element, name);
  if (text === undefined || !/^00(?:[0-9A-Fa-f]{2})*$/.test(text) || text.length > 2 + 2 * max) {
    throw malformed(`ConcatKDFParams ${name} must be "00" followed by at most ${max} hex octets`);
  }
  const bytes = new Uint8Array((text.length - 2) / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(text.slice(2 + 2 * i, 4 + 2 * i), 16);
  return bytes;
}

export interface AgreedKey {
  /** The carried key as an AES-GCM CryptoKey (extractable only when asked for). */
  readonly key: CryptoKey;
  /** xenc:CarriedKeyName: the name both sides will use in ds:KeyName. */
  readonly name: string;
}

/**
 * Reads and unwraps an EncryptedKey made by agreementEncryptedKeyXml() with the recipient's ECDH private key
 * (`agreementKey`; its public point must be the one in RecipientKeyInfo). Algorithms outside ECDH-ES /
 * ConcatKDF-SHA256 / kw-aes256: ERR_XML_ALGORITHM. A wrong key or a tampered wrap: ERR_XML_DECRYPT_FAILED.
 */
export async function unwrapAgreementKey(encryptedKey: Element, agreementKey: { privateKey: CryptoKey; publicKey: CryptoKey }, extractable: boolean): Promise<AgreedKey> {
  onlyAttributes(encryptedKey, ["Id", "Recipient"], "ERR_XML_MALFORMED", "EncryptedKey");
  const [method, keyInfo, cipherData, carried] = only(encryptedKey, [
    [xencNs, "EncryptionMethod"], [dsigNs, "KeyInfo"], [xencNs, "CipherData"], [xencNs, "CarriedKeyName"],
  ], "EncryptedKey") as [Element, Element, Element, Element];
  onlyAttributes(method, ["Algorithm"], "ERR_XML_MALFORMED", "EncryptionMethod");
  if (attributeValue(method, "Algorithm") !== kwAes256Algorithm) throw new XmlError("ERR_XML_ALGORITHM", "an agreed key is wrapped with kw-aes256");
  only(method, [], "EncryptionMethod");

  onlyAttributes(keyInfo, [], "ERR_XML_MALFORMED", "KeyInfo");
  const [agreement] = only(keyInfo, [[xencNs, "AgreementMethod"]], "KeyInfo") as [Element];
  onlyAttributes(agreement, ["Algorithm"], "ERR_XML_MALFORMED", "AgreementMethod");
  if (attributeValue(agreement, "Algorithm") !== ecdhEsAlgorithm) throw new XmlError("ERR_XML_ALGORITHM", "key agreement must be ECDH-ES");
  const [kdf, originator, recipient] = only(agreement, [
    [xenc11Ns, "KeyDerivationMethod"], [xencNs, "OriginatorKeyInfo"], [xencNs, "RecipientKeyInfo"],
  ], "AgreementMethod") as [Element, Element, Element];
  onlyAttributes(kdf, ["Algorithm"], "ERR_XML_MALFORMED", "KeyDerivationMethod");
  if (attributeValue(kdf, "Algorithm") !== concatKdfAlgorithm) throw new XmlError("ERR_XML_ALGORITHM", "key derivation must be ConcatKDF");
  const [params] = only(kdf, [[xenc11Ns, "ConcatKDFParams"]], "KeyDerivationMethod") as [Element];
  onlyAttributes(params, ["AlgorithmID", "PartyUInfo", "PartyVInfo"], "ERR_XML_MALFORMED", "ConcatKDFParams");
  const [digest] = only(params, [[dsigNs, "DigestMethod"]], "ConcatKDFParams") as [Element];
  onlyAttributes(digest, ["Algorithm"], "ERR_XML_MALFORMED", "DigestMethod");
  if (attributeValue(digest, "Algorithm") !== sha256DigestAlgorithm) throw new XmlError("ERR_XML_ALGORITHM", "ConcatKDF digest must be SHA-256");
  only(digest, [], "DigestMethod");
  const algorithmId = readBitString(params, "AlgorithmID", kdfPartyInfoBytesMax);
  if (new TextDecoder().decode(algorithmId) !== kwAes256Algorithm) throw new XmlError("ERR_XML_ALGORITHM", "ConcatKDF AlgorithmID must name kw-aes256");
  const partyUInfo = readBitString(params, "PartyUInfo", kdfPartyInfoBytesMax);
  const partyVInfo = readBitString(params, "PartyVInfo", kdfPartyInfoBytesMax);
  const originatorPoint = readEcKeyValue(originator, "OriginatorKeyInfo");
  const recipientPoint = readEcKeyValue(recipient, "RecipientKeyInfo");
  const ours = await exportP256Point(agreementKey.publicKey);
  if (toHex(ours) !== toHex(recipientPoint)) throw new XmlError("ERR_XML_DECRYPT_FAILED", "decryption failed");

  onlyAttributes(cipherData, [], "ERR_XML_MALFORMED", "CipherData");
  const [value] = only(cipherData, [[xencNs, "CipherValue"]], "CipherData") as [Element];
  onlyAttributes(value, [], "ERR_XML_MALFORMED", "CipherValue");
  const wrapped = fromBase64(textOnly(value, "ERR_XML_MALFORMED", "CipherValue").replace(/[ \t\r\n]+/g, ""));
  if (wrapped === null) throw malformed("CipherValue is not base64");
  onlyAttributes(carried, [], "ERR_XML_MALFORMED", "CarriedKeyName");
  const name = textOnly(carried, "ERR_XML_MALFORMED", "CarriedKeyName");
  if (!isKeyName(name)) throw malformed("CarriedKeyName must be 1 to 256 printable characters");

  let z: Uint8Array;
  try {
    z = await ecdhP256(agreementKey.privateKey, originatorPoint);
  } catch {
    throw new XmlError("ERR_XML_DECRYPT_FAILED", "decryption failed");
  }
  const kek = await concatKdfSha256(z, { algorithmId, partyUInfo, partyVInfo });
  z.fill(0);
  try {
    return { key: await aesKwUnwrap(kek, wrapped, extractable), name };
  } catch {
    throw new XmlError("ERR_XML_DECRYPT_FAILED", "decryption failed");
  } finally {
    kek.fill(0);
  }
}
