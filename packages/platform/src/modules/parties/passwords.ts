import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Passwords are stored as scrypt (RFC 7914) hashes: "scrypt$N$r$p$salt$hash", base64url parts.
 * N = 2^15, r = 8 costs 32 MiB and tens of milliseconds per guess (OWASP's scrypt minimum is
 * N = 2^17 with p = 1 at 128 MiB; this is the lighter profile for small servers, still memory-hard).
 */
const cost = { N: 2 ** 15, r: 8, p: 1 } as const;
const keyBytes = 32;
const saltBytes = 16;
export const passwordCharsMin = 10;
export const passwordCharsMax = 128;

/**
 * The password policy, for sign-up (the zod schema in http/schemas.ts has the same bounds) and for
 * a password change: a length in UTF-16 code units, as zod's min/max count it.
 */
export function meetsPasswordPolicy(password: string): boolean {
  return password.length >= passwordCharsMin && password.length <= passwordCharsMax;
}

function derive(password: string, salt: Buffer, options: ScryptOptions & { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFKC"), salt, keyBytes, { ...options, maxmem: 256 * options.N * options.r }, (error, key) => (error ? reject(error) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(saltBytes);
  const key = await derive(password, salt, cost);
  return ["scrypt", cost.N, cost.r, cost.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split("$");
  if (scheme !== "scrypt" || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, "base64url");
  const key = await derive(password, Buffer.from(salt, "base64url"), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A hash of a random password, so that a missing account costs a login the same time. */
export const decoyHash = hashPassword(randomBytes(16).toString("base64url"));

/** A strong generated password for demo users and first admins: 20 chars of base64url (120 bits). */
export function generatePassword(): string {
  return randomBytes(15).toString("base64url");
}
