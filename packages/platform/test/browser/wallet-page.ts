/// <reference lib="dom" />
/**
 * A wallet that runs in the browser page (bundled by esbuild for platform "browser", see
 * wallet-chromium.test.ts): @obol/xml on the page's WebCrypto, no Node module, no Buffer. It enrols a device
 * key it makes itself (never extractable), obtains a named session key by key agreement, asks for its balance
 * and pays under that key, and verifies what the platform signed.
 */
import "reflect-metadata";
import { Pkcs10CertificateRequestGenerator } from "@peculiar/x509";
import { buildMessage, MemoryReplayGuard, openMessage, openSessionKeyAnswer, readNodes, sessionKeyRequest, verifyReceipt, type XmlNode } from "@obol/xml";

export interface WalletRunInput {
  /** A login token of the user and an enrolment code an operator issued (out of band). */
  readonly token: string;
  readonly code: string;
  readonly payee: string;
}

export interface WalletRunResult {
  readonly compactId: string;
  readonly sessionKeyName: string;
  readonly sessionKeyExtractable: boolean;
  readonly balanceAnswerXml: string;
  readonly balances: ReadonlyArray<Record<string, string>>;
  readonly receiptXml: string;
  readonly receipt: { transactionId: string; amountMinor: string; currency: string; payee: string; requestDigest: string | undefined };
  readonly hasBuffer: boolean;
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));

function base64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function pemToDer(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
}

async function post(xml: string): Promise<{ status: number; text: string }> {
  const response = await fetch("/v1/wallet/messages", { method: "POST", headers: { "content-type": "application/xml" }, body: xml });
  const text = await response.text();
  if (!response.headers.get("content-type")?.startsWith("application/xml")) throw new Error(`refused: ${response.status} ${text}`);
  return { status: response.status, text };
}

const elements = (element: Element | undefined): XmlNode[] =>
  element === undefined ? [] : readNodes(element).filter((n): n is XmlNode => typeof n !== "string");

export async function run(input: WalletRunInput): Promise<WalletRunResult> {
  // 1. Enrolment: the device key is made here and cannot be exported; the CSR proves possession.
  const device = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])) as CryptoKeyPair;
  const csr = await Pkcs10CertificateRequestGenerator.create({ name: "CN=browser-wallet", keys: device, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } });
  const enrolResponse = await fetch("/v1/pki/enrol", {
    method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${input.token}` },
    body: JSON.stringify({ code: input.code, csr: base64(new Uint8Array(csr.rawData)) }),
  });
  if (enrolResponse.status !== 201) throw new Error(`enrolment refused: ${enrolResponse.status} ${await enrolResponse.text()}`);
  const enrolled = (await enrolResponse.json()) as { compactId: string; platform: { signing: string } };
  const platformCertificate = pemToDer(enrolled.platform.signing); // pinned at enrolment, as the CLI does
  const signer = { privateKey: device, keyName: enrolled.compactId };
  const replay = new MemoryReplayGuard({ now: () => Date.now() });

  // 2. A named session key by ECDH-ES + ConcatKDF + kw-aes256; it stays inside WebCrypto.
  const request = await sessionKeyRequest({ signer, now: new Date(), random });
  const sessionKey = await openSessionKeyAnswer((await post(request.xml)).text, {
    platformCertificate, agreementKey: request.agreementKey, now: new Date(), replay,
  });
  const resolveSessionKey = (name: string) => (name === sessionKey.name ? sessionKey.key : undefined);

  // 3. Balance: the request's content and the platform's answer are encrypted under the session key.
  const balanceRequest = await buildMessage({
    type: "wallet.balance", body: [], confidential: { content: [{ name: "BalanceQuery" }], to: { sessionKey } }, signer, now: new Date(), random,
  });
  const balanceAnswer = await post(balanceRequest.xml);
  const opened = await openMessage(balanceAnswer.text, { trustedKeyFor: () => platformCertificate, now: new Date(), replay, decryptionKeys: { resolveSessionKey } });
  const balances = elements(opened.confidential)[0]?.children?.filter((n): n is XmlNode => typeof n !== "string").map((n) => ({ ...n.attributes })) ?? [];

  // 4. A transfer under the session key; the receipt is signed in clear and verified offline.
  const transfer = await buildMessage({
    type: "wallet.transfer", body: [], signer, now: new Date(), random,
    confidential: {
      to: { sessionKey },
      content: [{
        name: "Transfer", attributes: { IdempotencyKey: `browser-${base64(random(12))}` },
        children: [{ name: "To", children: [input.payee] }, { name: "Amount", attributes: { Currency: "KES" }, children: ["1999"] }],
      }],
    },
  });
  const paid = await post(transfer.xml);
  if (paid.status !== 201) throw new Error(`transfer refused: ${paid.text}`);
  const receipt = await verifyReceipt(paid.text, platformCertificate);

  return {
    compactId: enrolled.compactId,
    sessionKeyName: sessionKey.name,
    sessionKeyExtractable: sessionKey.key.extractable,
    balanceAnswerXml: balanceAnswer.text,
    balances,
    receiptXml: paid.text,
    receipt: { transactionId: receipt.transactionId, amountMinor: receipt.amountMinor, currency: receipt.currency, payee: receipt.payee, requestDigest: receipt.requestDigest },
    hasBuffer: typeof (globalThis as { Buffer?: unknown }).Buffer !== "undefined",
  };
}
