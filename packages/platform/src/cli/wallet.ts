import { createCipheriv, createDecipheriv, generateKeyPairSync, hkdfSync, randomBytes, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline/promises";
import { createCsr, openPrivateKey, sealPrivateKey } from "@obol/pki";
import { buildMessage, MemoryReplayGuard, openMessage, openSessionKeyAnswer, readNodes, sessionKeyRequest, verifyReceipt, type XmlNode } from "@obol/xml";
import { expectOk } from "@obol/sdk";
import { ObolError } from "../errors/obol-error.js";
import { formatAmount } from "../money.js";
import { platformClient } from "./client.js";
import { platformFetch } from "./failure.js";
import { step } from "./progress.js";

/**
 * The wallet as a command-line program: the device key is made here and never leaves this
 * machine; it is kept sealed (scrypt + AES-256-GCM) under the user's passphrase in a keystore
 * file, beside the device certificate and the platform certificates pinned at enrolment.
 */
export interface Keystore {
  version: 1;
  url: string;
  msisdn: string;
  serial: string;
  compactId: string;
  certificate: string;
  chain: string[];
  platform: { signing: string; encryption: string };
  sealedKey: string;
  /** The named session key (obol wallet session-key), sealed under a key derived from the device key. */
  sessionKey?: { name: string; expiresAt: string; sealed: string };
}

/**
 * The session key is sealed with AES-256-GCM under HKDF-SHA256 (RFC 5869) of the device key's PKCS#8: whoever
 * can open the device key (the passphrase) can open it, and no second passphrase stretch is needed. Its name
 * is the associated data, so a sealed key cannot be moved under another name.
 */
function sessionSealKey(deviceKey: KeyObject): Buffer {
  const pkcs8 = deviceKey.export({ format: "der", type: "pkcs8" });
  try {
    return Buffer.from(hkdfSync("sha256", pkcs8, Buffer.alloc(0), "obol wallet session-key seal v1", 32));
  } finally {
    pkcs8.fill(0);
  }
}

function sealSessionKey(deviceKey: KeyObject, name: string, key: Uint8Array): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sessionSealKey(deviceKey), iv).setAAD(Buffer.from(name));
  return Buffer.concat([iv, cipher.update(key), cipher.final(), cipher.getAuthTag()]).toString("base64url");
}

function openSessionKey(deviceKey: KeyObject, name: string, sealed: string): Uint8Array {
  const bytes = Buffer.from(sealed, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", sessionSealKey(deviceKey), bytes.subarray(0, 12)).setAAD(Buffer.from(name));
  decipher.setAuthTag(bytes.subarray(bytes.length - 16));
  return new Uint8Array(Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]));
}

/** The keystore's session key, if it has one that has not expired. */
function liveSessionKey(keystore: Keystore, deviceKey: KeyObject): { name: string; key: Uint8Array } | undefined {
  const held = keystore.sessionKey;
  if (held === undefined || Date.parse(held.expiresAt) <= Date.now()) return undefined;
  return { name: held.name, key: openSessionKey(deviceKey, held.name, held.sealed) };
}

export const defaultKeystorePath = join(homedir(), ".obol", "wallet.json");

/** Secrets come from the environment (scripts, tests), else from a prompt. Never from arguments. */
export async function secret(envName: string, prompt: string): Promise<string> {
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (!process.stdin.isTTY) throw new ObolError("ERR_USAGE", `set ${envName} or run in a terminal to be asked for it`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return (await rl.question(prompt)).trim();
  } finally {
    rl.close();
  }
}

/** Logs the user in (OBOL_WALLET_PASSWORD, or asked) and returns the bearer token. */
export async function login(url: string, msisdn: string): Promise<string> {
  const password = await secret("OBOL_WALLET_PASSWORD", "password: ");
  return (await expectOk<unknown, { token: string }>(platformClient(url).POST("/v1/auth/login", { body: { msisdn, password } }))).token;
}

export async function walletEnroll(options: { url: string; msisdn: string; code: string; keystore: string }): Promise<number> {
  const token = await login(options.url, options.msisdn);
  const passphrase = await secret("OBOL_WALLET_PASSPHRASE", "new keystore passphrase (12+ characters): ");
  const done = step("making the device key (P-256) and sealing it under your passphrase (scrypt)");
  const deviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const sealedKey = sealPrivateKey(deviceKey, passphrase);
  const csr = Buffer.from(await createCsr(deviceKey, "obol-wallet")).toString("base64");
  done();
  const enrolled = await expectOk<unknown, Enrolment>(platformClient(options.url, token).POST("/v1/pki/enrol", { body: { code: options.code, csr } }));
  const keystore: Keystore = {
    version: 1, url: options.url, msisdn: options.msisdn, serial: enrolled.serial, compactId: enrolled.compactId,
    certificate: enrolled.certificate, chain: enrolled.chain, platform: enrolled.platform, sealedKey,
  };
  await mkdir(dirname(options.keystore), { recursive: true });
  await saveKeystore(options.keystore, keystore);
  console.log(`enrolled: certificate ${enrolled.serial} (compact id ${enrolled.compactId}), valid until ${enrolled.notAfter}`);
  console.log(`keystore: ${options.keystore} (the device key is sealed under your passphrase)`);
  return 0;
}

async function saveKeystore(path: string, keystore: Keystore): Promise<void> {
  await writeFile(path, JSON.stringify(keystore, null, 2) + "\n", { mode: 0o600 });
}

/** Reads the keystore; `url` (the --url flag) overrides the platform URL kept at enrolment. */
export async function loadKeystore(path: string, url?: string): Promise<Keystore> {
  const text = await readFile(path, "utf8").catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") throw new ObolError("ERR_KEYSTORE_MISSING", `there is no wallet keystore at ${path}: enrol first (obol wallet enroll --help) or give --keystore`);
    throw new ObolError("ERR_KEYSTORE_UNREADABLE", `cannot read the wallet keystore ${path} (${error.code})`);
  });
  let keystore: Keystore;
  try {
    keystore = JSON.parse(text) as Keystore;
  } catch {
    throw new ObolError("ERR_KEYSTORE_CORRUPT", `the wallet keystore ${path} is not valid JSON`);
  }
  if (keystore?.version !== 1) throw new ObolError("ERR_KEYSTORE_CORRUPT", `the wallet keystore ${path} has an unknown version`);
  return url === undefined ? keystore : { ...keystore, url };
}

interface Enrolment {
  serial: string; compactId: string; certificate: string; chain: string[]; platform: { signing: string; encryption: string }; notAfter: string;
}

export async function walletStatus(options: { keystore: string; url?: string | undefined }): Promise<number> {
  const keystore = await loadKeystore(options.keystore, options.url);
  const certificate = new X509Certificate(keystore.certificate);
  console.log(`wallet of ${keystore.msisdn} at ${keystore.url}`);
  console.log(`certificate ${keystore.serial}, compact id ${keystore.compactId}, valid ${certificate.validFrom} to ${certificate.validTo}`);
  const directory = await expectOk<unknown, { status: string }>(platformClient(keystore.url).GET("/v1/pki/certificates/{compactId}", { params: { path: { compactId: keystore.compactId } } }));
  console.log(`status at the platform: ${directory.status}`);
  const held = keystore.sessionKey;
  console.log(held === undefined ? "session key: none (obol wallet session-key)" : `session key ${held.name}, valid until ${held.expiresAt}${Date.parse(held.expiresAt) <= Date.now() ? " (expired)" : ""}`);
  return directory.status === "good" ? 0 : 1;
}

type SessionKey = { name: string; key: Uint8Array } | undefined;

/** Throws the platform's error when the answer is JSON (a refusal before any signed answer). */
function refusedUnlessXml(response: Response, text: string): void {
  if (response.headers.get("content-type")?.startsWith("application/xml")) return;
  const error = JSON.parse(text) as { error: { code: string; message: string } };
  const hint = error.error.code.startsWith("ERR_SESSION_KEY_") ? " (run: obol wallet session-key)" : "";
  throw new ObolError(error.error.code, error.error.message + hint);
}

/**
 * The wallet channel takes signed XML documents (application/xml), which the JSON-typed SDK does not model:
 * these posts stay raw, through the same fetch that names an unreachable platform.
 */
function postMessage(keystore: Keystore, xml: string): Promise<Response> {
  return platformFetch(`${keystore.url}/v1/wallet/messages`, { method: "POST", headers: { "content-type": "application/xml" }, body: xml });
}

/** The device key, opened with OBOL_WALLET_PASSPHRASE (or asked); a wrong passphrase is ERR_KEYSTORE_PASSPHRASE. */
async function openDeviceKey(keystore: Keystore): Promise<KeyObject> {
  const passphrase = await secret("OBOL_WALLET_PASSPHRASE", "keystore passphrase: ");
  try {
    return openPrivateKey(keystore.sealedKey, passphrase);
  } catch (error) {
    if ((error as { code?: string }).code === "ERR_PKI_BAD_PASSPHRASE") throw new ObolError("ERR_KEYSTORE_PASSPHRASE", "the keystore passphrase is wrong (OBOL_WALLET_PASSPHRASE)");
    throw error;
  }
}

/**
 * Sends one signed message and returns the platform-signed answer. With a live session key, the business
 * content travels in the confidential part under it (ds:KeyName), and the platform answers under it too.
 */
export async function send(keystore: Keystore, type: string, body: XmlNode[]): Promise<{ status: number; xml: string; sessionKey: SessionKey }> {
  const deviceKey = await openDeviceKey(keystore);
  const sessionKey = liveSessionKey(keystore, deviceKey);
  const built = await buildMessage({
    type, body: sessionKey === undefined ? body : [], now: new Date(), random: (n) => new Uint8Array(randomBytes(n)),
    signer: { privateKey: deviceKey, keyName: keystore.compactId },
    ...(sessionKey !== undefined && body.length > 0 ? { confidential: { content: body, to: { sessionKey } } } : {}),
  });
  const response = await postMessage(keystore, built.xml);
  const text = await response.text();
  refusedUnlessXml(response, text);
  return { status: response.status, xml: text, sessionKey };
}

/** Opens an answer with the pinned platform certificate; its content is the Body and the decrypted Confidential part. */
export async function openAnswer(keystore: Keystore, xml: string, sessionKey: SessionKey) {
  const platform = new X509Certificate(keystore.platform.signing);
  const opened = await openMessage(xml, {
    now: new Date(), replay: new MemoryReplayGuard({ now: () => Date.now() }),
    trustedKeyFor: () => platform,
    decryptionKeys: { resolveSessionKey: (name) => (name === sessionKey?.name ? sessionKey.key : undefined) },
  });
  return [...nodes(opened.body), ...(opened.confidential === undefined ? [] : nodes(opened.confidential))];
}

/** obol wallet session-key: obtains a new named session key (rotating the one held) by key agreement. */
export async function walletSessionKey(options: { keystore: string; url?: string | undefined }): Promise<number> {
  const stored = await loadKeystore(options.keystore);
  const keystore = options.url === undefined ? stored : { ...stored, url: options.url };
  const deviceKey = await openDeviceKey(keystore);
  const request = await sessionKeyRequest({ signer: { privateKey: deviceKey, keyName: keystore.compactId }, now: new Date(), random: (n) => new Uint8Array(randomBytes(n)) });
  const response = await postMessage(keystore, request.xml);
  const text = await response.text();
  refusedUnlessXml(response, text);
  const received = await openSessionKeyAnswer(text, {
    platformCertificate: new X509Certificate(keystore.platform.signing), agreementKey: request.agreementKey,
    now: new Date(), replay: new MemoryReplayGuard({ now: () => Date.now() }), extractable: true,
  });
  const raw = new Uint8Array(await crypto.subtle.exportKey("raw", received.key));
  // The keystore keeps the URL of enrolment; --url is for this run only.
  const sessionKey = { name: received.name, expiresAt: received.expiresAt.toISOString(), sealed: sealSessionKey(deviceKey, received.name, raw) };
  raw.fill(0);
  await saveKeystore(options.keystore, { ...stored, sessionKey });
  console.log(`session key ${received.name}, valid until ${received.expiresAt.toISOString()}: confidential parts now travel under it`);
  return 0;
}

export function nodes(element: Parameters<typeof readNodes>[0]): XmlNode[] {
  return readNodes(element).filter((n): n is XmlNode => typeof n !== "string");
}

export async function walletBalance(options: { keystore: string; url?: string | undefined }): Promise<number> {
  const keystore = await loadKeystore(options.keystore, options.url);
  const sent = await send(keystore, "wallet.balance", [{ name: "BalanceQuery" }]);
  const answer = await openAnswer(keystore, sent.xml, sent.sessionKey);
  for (const balance of answer[0]?.children ?? []) {
    if (typeof balance === "string") continue;
    const a = balance.attributes ?? {};
    console.log(`${formatAmount(BigInt(a.Available ?? "0"), a.Currency ?? "XXX")} available (${formatAmount(BigInt(a.Held ?? "0"), a.Currency ?? "XXX")} held)`);
  }
  return 0;
}

export async function walletHistory(options: { keystore: string; url?: string | undefined }): Promise<number> {
  const keystore = await loadKeystore(options.keystore, options.url);
  const sent = await send(keystore, "wallet.history", [{ name: "History", attributes: { Limit: "20" } }]);
  const history = (await openAnswer(keystore, sent.xml, sent.sessionKey))[0];
  for (const entry of history?.children ?? []) {
    if (typeof entry === "string") continue;
    const a = entry.attributes ?? {};
    console.log(`${a.CreatedAt}  ${a.Direction === "debit" ? "-" : "+"}${formatAmount(BigInt(a.Amount ?? "0"), history?.attributes?.Currency ?? "XXX")}  ${a.TransferId}`);
  }
  return 0;
}

export async function walletPay(options: { keystore: string; url?: string | undefined; to: string; amount: bigint; currency: string; idempotencyKey?: string | undefined }): Promise<number> {
  const keystore = await loadKeystore(options.keystore, options.url);
  const key = options.idempotencyKey ?? randomUUID();
  const { status, xml, sessionKey } = await send(keystore, "wallet.transfer", [{
    name: "Transfer", attributes: { IdempotencyKey: key },
    children: [{ name: "To", children: [options.to] }, { name: "Amount", attributes: { Currency: options.currency }, children: [options.amount.toString()] }],
  }]);
  if (status !== 201) {
    const refusal = (await openAnswer(keystore, xml, sessionKey))[0];
    throw new ObolError(refusal?.attributes?.Code ?? "ERR_REFUSED", `the platform refused the payment of ${formatAmount(options.amount, options.currency)} to ${options.to}`);
  }
  const receipt = await verifyReceipt(xml, new X509Certificate(keystore.platform.signing));
  console.log(`paid ${formatAmount(BigInt(receipt.amountMinor), receipt.currency)} to ${receipt.payee}: transaction ${receipt.transactionId}, receipt verified (platform signature)`);
  return 0;
}

export async function walletRevoke(options: { keystore: string; url?: string | undefined }): Promise<number> {
  const keystore = await loadKeystore(options.keystore, options.url);
  const token = await login(keystore.url, keystore.msisdn);
  await expectOk(platformClient(keystore.url, token).POST("/v1/me/certificates/{serial}/revoke", { params: { path: { serial: keystore.serial } } }));
  console.log(`certificate ${keystore.serial} revoked`);
  return 0;
}

