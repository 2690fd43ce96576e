/** Namespace and algorithm identifiers. Each one cites the W3C section that defines it. */

/** The Obol message namespace (document element `Message`, see envelope.ts). */
export const obolMessageNs = "urn:obol:msg:1";

/** xmldsig-core1 §1.3 */
export const dsigNs = "http://www.w3.org/2000/09/xmldsig#";
/** xmlenc-core1 §1.3 */
export const xencNs = "http://www.w3.org/2001/04/xmlenc#";
/** Namespaces in XML 1.0 §3: the `xml` prefix and the `xmlns` attributes. */
export const xmlNs = "http://www.w3.org/XML/1998/namespace";
export const xmlnsNs = "http://www.w3.org/2000/xmlns/";

/** xml-exc-c14n §3 (without comments). The only canonicalization accepted. */
export const excC14nAlgorithm = "http://www.w3.org/2001/10/xml-exc-c14n#";
/** xmldsig-core1 §6.6.4 */
export const envelopedSignatureAlgorithm = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
/** xmlenc-core1 §5.7.2 (SHA-256, used as DigestMethod in xmldsig-core1 §6.2.2) */
export const sha256DigestAlgorithm = "http://www.w3.org/2001/04/xmlenc#sha256";
/** xmldsig-core1 §6.2.1 SHA-1: only as the OAEP digest of rsa-oaep-mgf1p, never as a reference digest. */
export const sha1DigestAlgorithm = "http://www.w3.org/2000/09/xmldsig#sha1";
/** RFC 6931 §2.3.6 / xmldsig-core1 §6.4.3: ECDSA-SHA256, SignatureValue is r || s (RFC 4050 §3.3). */
export const ecdsaSha256Algorithm = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
/** RFC 6931 §2.3.2 / xmldsig-core1 §6.4.2: RSASSA-PKCS1-v1_5 with SHA-256 (legacy devices only). */
export const rsaSha256Algorithm = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/** xmlenc-core1 §5.2.4 AES-GCM */
export const aes256GcmAlgorithm = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
export const aes128GcmAlgorithm = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
/** xmlenc-core1 §5.5.2 RSA-OAEP with MGF1-SHA1 (the variant Debian's xmlsec1 1.2.37 implements). */
export const rsaOaepMgf1pAlgorithm = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
/** xmlenc-core1 §1.3: the XML Encryption 1.1 namespace (KeyDerivationMethod, ConcatKDFParams). */
export const xenc11Ns = "http://www.w3.org/2009/xmlenc11#";
/** xmldsig-core1 §1.3: the XML Signature 1.1 namespace (ECKeyValue). */
export const dsig11Ns = "http://www.w3.org/2009/xmldsig11#";
/** xmlenc-core1 §5.6.2 ECDH-ES key agreement (ephemeral-static). */
export const ecdhEsAlgorithm = "http://www.w3.org/2009/xmlenc11#ECDH-ES";
/** xmlenc-core1 §5.4.1 ConcatKDF (NIST SP 800-56A single-step KDF). */
export const concatKdfAlgorithm = "http://www.w3.org/2009/xmlenc11#ConcatKDF";
/** xmlenc-core1 §5.7.3 AES-256 key wrap (RFC 3394). Debian's xmlsec1 1.2.37 has it ("kw-aes256"). */
export const kwAes256Algorithm = "http://www.w3.org/2001/04/xmlenc#kw-aes256";
/** RFC 5480 §2.1.1.1 secp256r1 as the URI dsig11:NamedCurve carries (xmldsig-core1 §4.5.2.3.1). */
export const p256CurveUri = "urn:oid:1.2.840.10045.3.1.7";
/** xmlenc-core1 §3.5.1 EncryptedData Type values */
export const xencTypeElement = "http://www.w3.org/2001/04/xmlenc#Element";
export const xencTypeContent = "http://www.w3.org/2001/04/xmlenc#Content";

/** A namespace-qualified element name. Prefixes never matter; only namespace URI + local name do. */
export interface QualifiedName {
  readonly namespaceUri: string;
  readonly localName: string;
}
