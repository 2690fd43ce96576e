import { randomBytes, scrypt } from "node:crypto";
import { open, readFile, rename, unlink } from "node:fs/promises";
import { dirname, join, basename } from "node:path";
import { aesGcmDecrypt, aesGcmEncrypt, isCryptoError } from "@obol/crypto";
import { ObolError } from "../errors/obol-error.js";

/** scrypt parameters (RFC 7914): N = 2^15, r = 8, p = 1, as the sealed keystore keys. */
const kdf = { log2N: 15, r: 8, p: 1 } as const;
const saltBytes = 16;
const ivBytes = 12;
export const passphraseCharsMin = 12;
/** A wallet file above this size is refused before it is parsed. */
export const sealedFileBytesMax = 16 * 1024 * 1024;

interface FileFormat<P> {
  version: 1;
  plain: P;
  kdf: { salt: string; log2N: number; r: number; p: number };
  sealed: string;
}

/**
 * A JSON file with a public part and a secret part; the secret part is sealed under a passphrase with scrypt +
 * AES-256-GCM (the public part is the associated data, so it cannot be changed unnoticed). Written atomically
 * (temporary file, fsync, rename), mode 0600. The key is derived once when the file is opened.
 */
export class SealedFile<P> {
  private constructor(readonly path: string, private readonly salt: Buffer, private readonly key: Buffer) {}

  static async create<P>(path: string, passphrase: string, plain: P, secret: string): Promise<SealedFile<P>> {
    if (passphrase.length < passphraseCharsMin) throw new ObolError("ERR_USAGE", `the passphrase needs at least ${passphraseCharsMin} characters`);
    const salt = randomBytes(saltBytes);
    const file = new SealedFile<P>(path, salt, await deriveKey(passphrase, salt, kdf.log2N));
    await file.save(plain, secret, "wx");
    return file;
  }

  static async open<P>(path: string, passphrase: string): Promise<{ file: SealedFile<P>; plain: P; secret: string }> {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") throw new ObolError("ERR_ECASH_NO_WALLET", `${path} does not exist: register first`);
      throw error;
    }
    if (text.length > sealedFileBytesMax) throw new ObolError("ERR_ECASH_WALLET_FILE", `${path} is too large`);
    const format = JSON.parse(text) as FileFormat<P>;
    if (format.version !== 1 || format.kdf?.log2N !== kdf.log2N || format.kdf.r !== kdf.r || format.kdf.p !== kdf.p || typeof format.sealed !== "string") {
      throw new ObolError("ERR_ECASH_WALLET_FILE", `${path} is not a version 1 e-cash wallet file`);
    }
    const salt = Buffer.from(format.kdf.salt, "base64");
    const file = new SealedFile<P>(path, salt, await deriveKey(passphrase, salt, kdf.log2N));
    const sealed = Buffer.from(format.sealed, "base64");
    try {
      const plain = aesGcmDecrypt(file.key, sealed.subarray(0, ivBytes), sealed.subarray(ivBytes), associatedData(format.plain));
      return { file, plain: format.plain, secret: Buffer.from(plain).toString("utf8") };
    } catch (error) {
      if (isCryptoError(error, "ERR_CRYPTO_DECRYPT_FAILED")) throw new ObolError("ERR_ECASH_BAD_PASSPHRASE", `wrong passphrase for ${path}, or the file was altered`);
      throw error;
    }
  }

  async save(plain: P, secret: string, flag: "w" | "wx" = "w"): Promise<void> {
    const iv = randomBytes(ivBytes);
    const sealed = Buffer.concat([iv, aesGcmEncrypt(this.key, iv, Buffer.from(secret, "utf8"), associatedData(plain))]);
    const format: FileFormat<P> = { version: 1, plain, kdf: { salt: this.salt.toString("base64"), ...kdf }, sealed: sealed.toString("base64") };
    if (flag === "wx") {
      // Refuse to overwrite an existing wallet: its tokens would be lost.
      const exclusive = await open(this.path, "wx", 0o600);
      await exclusive.close();
    }
    const temporary = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    const handle = await open(temporary, "w", 0o600);
    try {
      await handle.writeFile(JSON.stringify(format, null, 2) + "\n");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, this.path);
    } catch (error) {
      await unlink(temporary).catch(() => {});
      throw error;
    }
    const directory = await open(dirname(this.path), "r");
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  }
}

function associatedData(plain: unknown): Buffer {
  return Buffer.from(`obol-ecash-wallet/v1\n${JSON.stringify(plain)}`, "utf8");
}

function deriveKey(passphrase: string, salt: Buffer, log2N: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize("NFC"), salt, 32, { N: 2 ** log2N, r: kdf.r, p: kdf.p, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
