// A reference bank in memory with one registered client, for the bank's own tests.
import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { createRootCa, issueServiceCertificate } from "@obol/pki";
import { createReferenceBank, type ReferenceBank } from "../../src/bank.js";
import { BankClient } from "../../src/client.js";
import { loadBankConfig } from "../../src/config.js";
import type { PaymentDirection, PaymentInstruction } from "../../src/messages/index.js";
import { inProcessTransport, type BankTransport } from "../../src/transport.js";

export interface ClientIdentity {
  id: string;
  signingKey: KeyObject;
  decryptionKey: KeyObject;
  signing: X509Certificate;
  encryption: X509Certificate;
  pem: string;
}

let cachedRsa: KeyObject | undefined;

/** A client's keys and certificates, as a platform would hold them. RSA keygen is slow: one key per test process. */
export async function clientIdentity(id = "obol"): Promise<ClientIdentity> {
  const now = new Date();
  const ca = await createRootCa({ subject: { commonName: `${id} test CA` }, now, validityDays: 30 });
  const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  cachedRsa ??= generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
  const signing = await issueServiceCertificate({ issuer: ca, purpose: "signing", serviceName: `${id}-signing`, publicKey: signingKey, now, validityDays: 30 });
  const encryption = await issueServiceCertificate({ issuer: ca, purpose: "encryption", serviceName: `${id}-encryption`, publicKey: cachedRsa, now, validityDays: 30 });
  const signingCert = new X509Certificate(Buffer.from(signing.certificateDer));
  const encryptionCert = new X509Certificate(Buffer.from(encryption.certificateDer));
  return { id, signingKey, decryptionKey: cachedRsa, signing: signingCert, encryption: encryptionCert, pem: signingCert.toString() + encryptionCert.toString() };
}

export interface BankFixture {
  bank: ReferenceBank;
  identity: ClientIdentity;
  client: BankClient;
  adminToken: string;
  clientWith(transport: BankTransport, timeoutMs?: number): BankClient;
  /** An open customer account with a balance, and an active mandate for the client. */
  customer(opening?: bigint): Promise<{ number: string; mandateId: string; msisdn: string }>;
  instruction(direction: PaymentDirection, fields: { account: string; mandateId?: string; amount: bigint; msgId?: string; endToEndId?: string }): PaymentInstruction;
  stop(): Promise<void>;
}

export async function openFixture(options: { faults?: string; clock?: () => number; withoutAdminToken?: boolean } = {}): Promise<BankFixture> {
  const adminToken = randomBytes(24).toString("base64url");
  const config = loadBankConfig({ ...(options.withoutAdminToken ? {} : { OBOL_BANK_ADMIN_TOKEN: adminToken }), LOG_LEVEL: "silent", ...(options.faults === undefined ? {} : { OBOL_BANK_FAULTS: options.faults }) });
  const bank = await createReferenceBank(config, { logger: false, memory: true, ...(options.clock === undefined ? {} : { clock: options.clock }) });
  const identity = await clientIdentity();
  await bank.books.registerClient(identity.id, identity.signing.raw, identity.encryption.raw);
  const clientWith = (transport: BankTransport, timeoutMs = 5_000) => new BankClient({
    clientId: identity.id, signingKey: identity.signingKey, decryptionKey: identity.decryptionKey,
    bankSigning: bank.keys.signing.certificate, bankEncryption: bank.keys.encryption.certificate,
    transport, timeoutMs, clock: options.clock ?? Date.now, random: (n) => new Uint8Array(randomBytes(n)),
  });
  const client = clientWith(inProcessTransport(bank.service));
  let msisdnSeq = 0;
  return {
    bank, identity, client, adminToken, clientWith,
    async customer(opening = 100_000n) {
      const msisdn = `+2547${String(Math.floor(Math.random() * 1e6)).padStart(6, "0")}${String(msisdnSeq++ % 100).padStart(2, "0")}`;
      const account = await bank.books.openAccount({ currency: "KES", holderName: "Amina Otieno", msisdn });
      if (opening > 0n) await bank.books.fund(account.number, opening);
      const linkId = `L${randomUUID().replaceAll("-", "")}`;
      const pending = await client.link({ header: client.header(`M${randomUUID().replaceAll("-", "")}`), linkId, currency: "KES", accountNumber: account.number, msisdn });
      if (pending.kind !== "answer" || pending.value.status !== "PDNG") throw new Error(`link: ${JSON.stringify(pending)}`);
      const code = /is ([0-9]{6})\./.exec((await bank.books.customerMessages(account.number))[0]!.body)![1]!;
      const active = await client.confirmLink({ header: client.header(`M${randomUUID().replaceAll("-", "")}`), linkId, code });
      if (active.kind !== "answer" || active.value.status !== "ACTV") throw new Error(`confirm: ${JSON.stringify(active)}`);
      return { number: account.number, mandateId: active.value.mandateId!, msisdn };
    },
    instruction(direction, f) {
      const msgId = f.msgId ?? `M${randomUUID().replaceAll("-", "")}`;
      return {
        direction, header: client.header(msgId), endToEndId: f.endToEndId ?? `E${msgId.slice(1)}`, amount: f.amount, currency: "KES",
        remittance: direction === "debit" ? "Top-up" : "Withdrawal", customerAccount: f.account, mandateId: f.mandateId,
      };
    },
    stop: () => bank.stop(),
  };
}

export function newId(prefix = "M"): string {
  return `${prefix}${randomUUID().replaceAll("-", "")}`;
}
