import { constantTimeEqual, sha256 } from "@obol/crypto/web";
import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from "./base64.js";
import type { DecryptedData } from "./decrypt.js";
import { attributeValue, isNamed, onlyAttributes, textOnly } from "./dom.js";
import { XmlError } from "./errors.js";
import { escapeAttribute } from "./escape.js";
import { obolMessageNs, sha256DigestAlgorithm } from "./namespaces.js";
import { parseXml } from "./parse.js";
import { readNodes, serializeNodes } from "./xml-node.js";
import type { XmlNode } from "./xml-node.js";

/**
 * The confidential part of a message and its seal. Messages are ENCRYPTED, THEN SIGNED (the signature
 * covers the EncryptedData), so a receiver verifies before it decrypts. Two things make the signature
 * nevertheless cover the plaintext the user confirmed:
 *
 *  1. PlaintextDigest, an xenc:EncryptionProperty (xmlenc-core1 §3.7) inside the signed EncryptedData:
 *     SHA-256 of the exact plaintext octets. Anyone shown the plaintext can check it against the signature,
 *     without any decryption key (non-repudiation: the platform never has to reveal a session key).
 *  2. The plaintext itself names its message and signer: <Confidential MessageId Signer Salt>. Signer is the
 *     SHA-256 of the signing key's SubjectPublicKeyInfo. An attacker who strips the signature and re-signs
 *     someone else's EncryptedData under their own key (surreptitious forwarding, Davis 2001) fails: the
 *     sealed Signer is not theirs and they cannot re-encrypt what they cannot read. Salt (128 bits) keeps
 *     the digest from confirming guesses of low-entropy content (a PIN, an MSISDN).
 */

export const confidentialSaltBytes = 16;

export interface SealFields {
  readonly messageId: string;
  /** keyFingerprint() of the signer's public key. */
  readonly signer: string;
  /** base64url of confidentialSaltBytes random bytes. */
  readonly salt: string;
}

/** The plaintext Confidential element, as XML with its own namespace declaration. */
export function confidentialXml(content: ReadonlyArray<XmlNode | string>, seal: SealFields): string {
  return (
    `<Confidential xmlns="${obolMessageNs}" MessageId="${escapeAttribute(seal.messageId)}"` +
    ` Signer="${escapeAttribute(seal.signer)}" Salt="${escapeAttribute(seal.salt)}">${serializeNodes(content)}</Confidential>`
  );
}

/** The EncryptionProperty content committing to the plaintext octets. */
export async function plaintextDigestProperty(plaintext: Uint8Array): Promise<Element> {
  const xml = `<PlaintextDigest xmlns="${obolMessageNs}" Algorithm="${sha256DigestAlgorithm}">${encodeBase64(await sha256(plaintext))}</PlaintextDigest>`;
  return parseXml(xml).root;
}

function failed(): XmlError {
  return new XmlError("ERR_XML_DECRYPT_FAILED", "decryption failed");
}

/**
 * Checks a decrypted Confidential part against its seal and the verified message. Every mismatch is the
 * same ERR_XML_DECRYPT_FAILED. Returns the Confidential element (its content is business data).
 */
export async function openConfidential(decrypted: DecryptedData, expected: { messageId: string; signer: string }): Promise<Element> {
  const digests = decrypted.properties.filter((p) => isNamed(p, obolMessageNs, "PlaintextDigest"));
  const digestElement = digests[0];
  if (digests.length !== 1 || digestElement === undefined) throw failed();
  onlyAttributes(digestElement, ["Algorithm"], "ERR_XML_DECRYPT_FAILED", "PlaintextDigest");
  if (attributeValue(digestElement, "Algorithm") !== sha256DigestAlgorithm) throw failed();
  const claimed = decodeBase64(textOnly(digestElement, "ERR_XML_DECRYPT_FAILED", "PlaintextDigest"));
  const actual = await sha256(decrypted.plaintext);
  if (claimed === null || !constantTimeEqual(claimed, actual)) throw failed();

  const element = decrypted.type === "element" ? decrypted.nodes[0] : undefined;
  if (element === undefined || !isNamed(element, obolMessageNs, "Confidential")) throw failed();
  onlyAttributes(element, ["MessageId", "Signer", "Salt"], "ERR_XML_DECRYPT_FAILED", "Confidential");
  const salt = decodeBase64Url(attributeValue(element, "Salt") ?? "");
  if (
    attributeValue(element, "MessageId") !== expected.messageId ||
    attributeValue(element, "Signer") !== expected.signer ||
    salt === null ||
    salt.byteLength < confidentialSaltBytes
  ) {
    throw failed();
  }
  readNodes(element); // business content only
  return element;
}

export function newSalt(random: (bytes: number) => Uint8Array): string {
  const bytes = random(confidentialSaltBytes);
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== confidentialSaltBytes) {
    throw new XmlError("ERR_XML_ALGORITHM", `random(${confidentialSaltBytes}) must return ${confidentialSaltBytes} bytes`);
  }
  return encodeBase64Url(bytes);
}
