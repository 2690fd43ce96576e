import { scrypt } from "node:crypto";
import { promisify } from "node:util";
import { aesGcmDecrypt, aesGcmEncrypt, randomBytes } from "@obol/crypto";
import { sql, type Kysely } from "kysely";

const scryptAsync = promisify(scrypt) as (password: string, salt: Uint8Array, keyLength: number, options: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;

/**
 * Webhook signing secrets must be readable by the platform (it signs with them), so unlike API
 * keys they cannot be stored as hashes. They are sealed under the passphrase that seals the
 * platform's private keys (OBOL_KEY_PASSPHRASE): one AES-256-GCM key is derived from it with
 * scrypt (N = 2^15, r = 8, p = 1, as @obol/pki seals keys) and a random salt kept in the
 * database, once per process start. Each secret gets a fresh 96-bit IV, and the merchant id is
 * the associated data, so a sealed secret copied to another merchant's row does not open.
 */
const format = "v1";
const saltBytes = 16;
const ivBytes = 12;
const keyCheckText = "obol webhook secrets key check";
const scryptParameters = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export class WebhookSecretSealer {
  private constructor(private readonly key: Uint8Array) {}

  /** Derives the key; the first start creates the salt. Throws when the passphrase is not the one the secrets were sealed with. */
  static async open(db: Kysely<any>, passphrase: string): Promise<WebhookSecretSealer> {
    const salt = randomBytes(saltBytes);
    let row = (await sql<{ salt: Uint8Array; key_check: string }>`SELECT salt, key_check FROM webhook_sealing WHERE id = 1`.execute(db)).rows[0];
    let derived: { salt: Uint8Array; sealer: WebhookSecretSealer } | undefined;
    if (row === undefined) {
      derived = { salt, sealer: new WebhookSecretSealer(await scryptAsync(passphrase, salt, 32, scryptParameters)) };
      await sql`INSERT INTO webhook_sealing (id, salt, key_check) VALUES (1, ${Buffer.from(salt)}, ${derived.sealer.seal("check", new TextEncoder().encode(keyCheckText))})
                ON CONFLICT (id) DO NOTHING`.execute(db);
      row = (await sql<{ salt: Uint8Array; key_check: string }>`SELECT salt, key_check FROM webhook_sealing WHERE id = 1`.execute(db)).rows[0]!;
    }
    // The key just derived serves when its salt is the one stored (another process may have won the insert).
    const sealer = derived !== undefined && Buffer.from(row.salt).equals(Buffer.from(derived.salt))
      ? derived.sealer : new WebhookSecretSealer(await scryptAsync(passphrase, row.salt, 32, scryptParameters));
    let check: string;
    try {
      check = new TextDecoder().decode(sealer.open("check", row.key_check));
    } catch {
      check = "";
    }
    if (check !== keyCheckText) throw new Error("webhook secrets: OBOL_KEY_PASSPHRASE does not open them (it is not the passphrase they were sealed with)");
    return sealer;
  }

  seal(merchantId: string, secret: Uint8Array): string {
    const iv = randomBytes(ivBytes);
    const sealed = aesGcmEncrypt(this.key, iv, secret, associatedData(merchantId));
    return `${format}.${Buffer.from(iv).toString("base64url")}.${Buffer.from(sealed).toString("base64url")}`;
  }

  /** Throws (ERR_CRYPTO_DECRYPT_FAILED) unless the text was sealed by this key for this merchant. */
  open(merchantId: string, text: string): Uint8Array {
    const [version, iv, sealed, extra] = text.split(".");
    if (version !== format || iv === undefined || sealed === undefined || extra !== undefined) throw new Error("webhook secret: unknown sealed format");
    return aesGcmDecrypt(this.key, Buffer.from(iv, "base64url"), Buffer.from(sealed, "base64url"), associatedData(merchantId));
  }
}

function associatedData(merchantId: string): Uint8Array {
  return new TextEncoder().encode(`obol-webhook-secret/${format}/${merchantId}`);
}
