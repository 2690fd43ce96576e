import { randomBytes, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  BankClient, channelCertificates, createReferenceBank, httpTransport, inProcessTransport, loadBankConfig, type BankTransport, type ReferenceBank,
} from "@obol/bank";
import { ObolError } from "../../errors/obol-error.js";
import type { PlatformKeys } from "../pki/keys.js";
import type { BankSettings } from "./settings.js";

/** A bank handed in by the caller (tests): how to reach it and the certificates to pin. */
export interface BankEndpointOverride {
  transport: BankTransport;
  certificatesPem: string;
}

export interface BankEndpoint {
  client: BankClient | undefined;
  /** The reference bank running inside this process (embedded mode). */
  embedded: { bank: ReferenceBank; adminUrl: string | undefined; adminToken: string } | undefined;
  stop(): Promise<void>;
}

/**
 * Connects the platform to its bank: the remote bank at OBOL_BANK_URL with its pinned certificates
 * (OBOL_BANK_CERT), the embedded reference bank, a caller's bank (tests), or none. The platform
 * signs with its signing key and decrypts with its encryption key; a remote bank must have
 * registered the platform's two certificates (GET /pki/ca) under OBOL_BANK_CLIENT_ID.
 */
export async function openBankEndpoint(settings: BankSettings, platformKeys: PlatformKeys | Promise<PlatformKeys>, o: {
  clock: () => number; dataDir: string; memory: boolean; override?: BankEndpointOverride | undefined;
  /** An empty PGlite cluster for the embedded bank's new data directory (db/pglite-template.ts). */
  pgliteTemplate?: Blob | undefined;
  /** Told when the embedded bank creates its keys (its first start). */
  onKeyCreation?: () => void;
}): Promise<BankEndpoint> {
  // The platform's keys are awaited only where they are needed: the embedded bank opens its storage and makes
  // or opens its own keys meanwhile.
  const client = (transport: BankTransport, pem: string, keys: PlatformKeys) => {
    const pinned = channelCertificates(pem);
    return new BankClient({
      clientId: settings.clientId, signingKey: keys.signing.privateKey, decryptionKey: keys.encryption.privateKey,
      bankSigning: pinned.signing, bankEncryption: pinned.encryption, transport, timeoutMs: settings.timeoutMs, clock: o.clock,
      random: (n) => new Uint8Array(randomBytes(n)),
    });
  };
  if (o.override !== undefined) return { client: client(o.override.transport, o.override.certificatesPem, await platformKeys), embedded: undefined, stop: async () => {} };

  switch (settings.mode) {
    case "none":
      return { client: undefined, embedded: undefined, stop: async () => {} };
    case "remote": {
      let pem: string;
      try {
        pem = await readFile(settings.certificateFile!, "utf8");
        channelCertificates(pem);
      } catch (error) {
        throw new ObolError("ERR_CONFIG", `OBOL_BANK_CERT (${settings.certificateFile}): ${(error as Error).message}`);
      }
      return { client: client(httpTransport(settings.url!), pem, await platformKeys), embedded: undefined, stop: async () => {} };
    }
    case "embedded": {
      const adminToken = randomBytes(24).toString("base64url");
      const bank = await createReferenceBank(
        loadBankConfig({ OBOL_BANK_DATA_DIR: join(o.dataDir, "bank"), OBOL_BANK_ADMIN_TOKEN: adminToken, OBOL_BANK_HOST: "127.0.0.1", OBOL_BANK_PORT: String(settings.embeddedPort) }),
        { logger: false, memory: o.memory, clock: o.clock, pgliteTemplate: o.pgliteTemplate, onKeyCreation: o.onKeyCreation },
      );
      let adminUrl: string | undefined;
      let keys: PlatformKeys;
      try {
        keys = await platformKeys;
        await bank.books.registerClient(settings.clientId, new X509Certificate(Buffer.from(keys.signing.certificateDer)).raw, new X509Certificate(Buffer.from(keys.encryption.certificateDer)).raw);
        if (!o.memory) {
          try {
            adminUrl = await bank.app.listen({ host: "127.0.0.1", port: settings.embeddedPort });
          } catch (error) {
            throw new ObolError("ERR_CONFIG", `the embedded bank cannot listen on 127.0.0.1:${settings.embeddedPort} (OBOL_BANK_EMBEDDED_PORT): ${(error as Error).message}`);
          }
        }
      } catch (error) {
        await bank.stop().catch(() => {});
        throw error;
      }
      return { client: client(inProcessTransport(bank.service), bank.certificatesPem, keys), embedded: { bank, adminUrl, adminToken }, stop: () => bank.stop() };
    }
  }
}
