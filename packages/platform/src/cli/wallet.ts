import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline/promises";
import { createCsr, openPrivateKey, sealPrivateKey } from "@obol/pki";
import { buildMessage, MemoryReplayGuard, openMessage, readNodes, verifyReceipt, type XmlNode } from "@obol/xml";
import { ObolError } from "../errors/obol-error.js";
import { formatAmount } from "../money.js";

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

async function api(url: string, method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const response = await fetch(url + path, {
    method, headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await response.json()) as any;
  if (!response.ok) throw new ObolError(json?.error?.code ?? "ERR_HTTP", `${method} ${path}: ${json?.error?.message ?? response.status}`);
  return json;
}

export async function login(url: string, msisdn: string): Promise<string> {
  const password = await secret("OBOL_WALLET_PASSWORD", "password: ");
  return (await api(url, "POST", "/v1/auth/login", { msisdn, password })).token;
}

export async function walletEnroll(options: { url: string; msisdn: string; code: string; keystore: string }): Promise<number> {
  const token = await login(options.url, options.msisdn);
  const passphrase = await secret("OBOL_WALLET_PASSPHRASE", "new keystore passphrase (12+ characters): ");
  const deviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const sealedKey = sealPrivateKey(deviceKey, passphrase);
  const csr = Buffer.from(await createCsr(deviceKey, "obol-wallet")).toString("base64");
  const enrolled = await api(options.url, "POST", "/v1/pki/enrol", { code: options.code, csr }, token);
  const keystore: Keystore = {
    version: 1, url: options.url, msisdn: options.msisdn, serial: enrolled.serial, compactId: enrolled.compactId,
    certificate: enrolled.certificate, chain: enrolled.chain, platform: enrolled.platform, sealedKey,
  };
  await mkdir(dirname(options.keystore), { recursive: true });
  await writeFile(options.keystore, JSON.stringify(keystore, null, 2) + "\n", { mode: 0o600 });
  console.log(`enrolled: certificate ${enrolled.serial} (compact id ${enrolled.compactId}), valid until ${enrolled.notAfter}`);
  console.log(`keystore: ${options.keystore} (the device key is sealed under your passphrase)`);
  return 0;
}

export async function loadKeystore(path: string): Promise<Keystore> {
  const keystore = JSON.parse(await readFile(path, "utf8")) as Keystore;
  if (keystore.version !== 1) throw new ObolError("ERR_KEYSTORE", `unknown keystore version in ${path}`);
  return keystore;
}

export async function walletStatus(options: { keystore: string }): Promise<number> {
  const keystore = await loadKeystore(options.keystore);
  const certificate = new X509Certificate(keystore.certificate);
  console.log(`wallet of ${keystore.msisdn} at ${keystore.url}`);
  console.log(`certificate ${keystore.serial}, compact id ${keystore.compactId}, valid ${certificate.validFrom} to ${certificate.validTo}`);
  const directory = await api(keystore.url, "GET", `/v1/pki/certificates/${keystore.compactId}`);
  console.log(`status at the platform: ${directory.status}`);
  return directory.status === "good" ? 0 : 1;
}

/** Sends one signed message and returns the platform-signed answer, verified with the pinned certificate. */
export async function send(keystore: Keystore, type: string, body: XmlNode[]): Promise<{ status: number; xml: string }> {
  const passphrase = await secret("OBOL_WALLET_PASSPHRASE", "keystore passphrase: ");
  const built = buildMessage({
    type, body, now: new Date(), random: (n) => new Uint8Array(randomBytes(n)),
    signer: { privateKey: openPrivateKey(keystore.sealedKey, passphrase), keyName: keystore.compactId },
  });
  const response = await fetch(`${keystore.url}/v1/wallet/messages`, { method: "POST", headers: { "content-type": "application/xml" }, body: built.xml });
  const text = await response.text();
  if (!response.headers.get("content-type")?.startsWith("application/xml")) {
    const error = JSON.parse(text) as { error: { code: string; message: string } };
    throw new ObolError(error.error.code, error.error.message);
  }
  return { status: response.status, xml: text };
}

export async function openAnswer(keystore: Keystore, xml: string) {
  const platform = new X509Certificate(keystore.platform.signing);
  return openMessage(xml, {
    now: new Date(), replay: new MemoryReplayGuard({ now: () => Date.now() }),
    trustedKeyFor: () => platform,
  });
}

export const nodes = (element: Parameters<typeof readNodes>[0]) => readNodes(element).filter((n): n is XmlNode => typeof n !== "string");

export async function walletBalance(options: { keystore: string }): Promise<number> {
  const keystore = await loadKeystore(options.keystore);
  const answer = await openAnswer(keystore, (await send(keystore, "wallet.balance", [])).xml);
  for (const balance of nodes(answer.body)[0]?.children ?? []) {
    if (typeof balance === "string") continue;
    const a = balance.attributes ?? {};
    console.log(`${formatAmount(BigInt(a.Available ?? "0"), a.Currency ?? "XXX")} available (${formatAmount(BigInt(a.Held ?? "0"), a.Currency ?? "XXX")} held)`);
  }
  return 0;
}

export async function walletHistory(options: { keystore: string }): Promise<number> {
  const keystore = await loadKeystore(options.keystore);
  const answer = await openAnswer(keystore, (await send(keystore, "wallet.history", [{ name: "History", attributes: { Limit: "20" } }])).xml);
  const history = nodes(answer.body)[0];
  for (const entry of history?.children ?? []) {
    if (typeof entry === "string") continue;
    const a = entry.attributes ?? {};
    console.log(`${a.CreatedAt}  ${a.Direction === "debit" ? "-" : "+"}${formatAmount(BigInt(a.Amount ?? "0"), history?.attributes?.Currency ?? "XXX")}  ${a.TransferId}`);
  }
  return 0;
}

export async function walletPay(options: { keystore: string; to: string; amount: string; currency: string; idempotencyKey?: string }): Promise<number> {
  const keystore = await loadKeystore(options.keystore);
  const key = options.idempotencyKey ?? randomUUID();
  const { status, xml } = await send(keystore, "wallet.transfer", [{
    name: "Transfer", attributes: { IdempotencyKey: key },
    children: [{ name: "To", children: [options.to] }, { name: "Amount", attributes: { Currency: options.currency }, children: [options.amount] }],
  }]);
  if (status !== 201) {
    const refusal = nodes((await openAnswer(keystore, xml)).body)[0];
    console.log(`refused by the platform: ${refusal?.attributes?.Code ?? "unknown"} (signed refusal kept)`);
    return 1;
  }
  const receipt = verifyReceipt(xml, new X509Certificate(keystore.platform.signing));
  console.log(`paid ${formatAmount(BigInt(receipt.amountMinor), receipt.currency)} to ${receipt.payee}: transaction ${receipt.transactionId}, receipt verified (platform signature)`);
  return 0;
}

export async function walletRevoke(options: { keystore: string }): Promise<number> {
  const keystore = await loadKeystore(options.keystore);
  const token = await login(keystore.url, keystore.msisdn);
  await api(keystore.url, "POST", `/v1/me/certificates/${keystore.serial}/revoke`, undefined, token);
  console.log(`certificate ${keystore.serial} revoked`);
  return 0;
}

