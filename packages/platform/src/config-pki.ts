import type { Pkcs11Config } from "@obol/pki/pkcs11";
import { ObolError } from "./errors/obol-error.js";

/** The CKA_LABEL `obol pki hsm-init` gives the issuing CA key pair unless OBOL_PKCS11_KEY_LABEL says otherwise. */
export const defaultPkcs11KeyLabel = "obol-issuing-ca";

/**
 * OBOL_PKCS11_MODULE (absolute path of the PKCS#11 module), OBOL_PKCS11_TOKEN_LABEL, OBOL_PKCS11_PIN (a secret:
 * never in a message) and OBOL_PKCS11_KEY_LABEL: the token that holds the issuing CA key. All unset: the key
 * is sealed in the database. The PIN and the token label are required once the module is set, and none of the
 * others may be set without it (a half-configured token must not quietly mean "no token").
 */
export function pkcs11Settings(env: NodeJS.ProcessEnv): Pkcs11Config | undefined {
  const modulePath = env.OBOL_PKCS11_MODULE || undefined;
  const tokenLabel = env.OBOL_PKCS11_TOKEN_LABEL || undefined;
  const pin = env.OBOL_PKCS11_PIN || undefined;
  const keyLabel = env.OBOL_PKCS11_KEY_LABEL || undefined;
  if (modulePath === undefined) {
    const stray = [["OBOL_PKCS11_TOKEN_LABEL", tokenLabel], ["OBOL_PKCS11_PIN", pin], ["OBOL_PKCS11_KEY_LABEL", keyLabel]].filter(([, v]) => v !== undefined).map(([k]) => k);
    if (stray.length > 0) throw new ObolError("ERR_CONFIG", `${stray.join(", ")} set without OBOL_PKCS11_MODULE`);
    return undefined;
  }
  if (!modulePath.startsWith("/")) throw new ObolError("ERR_CONFIG", "OBOL_PKCS11_MODULE must be the absolute path of a PKCS#11 module");
  if (tokenLabel === undefined || Buffer.byteLength(tokenLabel) > 32 || /[\u0000-\u001f]/.test(tokenLabel)) {
    throw new ObolError("ERR_CONFIG", "OBOL_PKCS11_TOKEN_LABEL is required with OBOL_PKCS11_MODULE: the token's label, 1 to 32 bytes");
  }
  if (pin === undefined || pin.length > 256) throw new ObolError("ERR_CONFIG", "OBOL_PKCS11_PIN is required with OBOL_PKCS11_MODULE (the token's user PIN, at most 256 characters)");
  const label = keyLabel ?? defaultPkcs11KeyLabel;
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(label)) throw new ObolError("ERR_CONFIG", "OBOL_PKCS11_KEY_LABEL must be 1 to 64 of A-Z a-z 0-9 . _ -");
  return { modulePath, tokenLabel, pin, keyLabel: label };
}

/** A boolean setting: "true" or "false" (unset or empty: false). Anything else is a configuration error. */
export function booleanSetting(env: NodeJS.ProcessEnv, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === "" || value === "false") return false;
  if (value === "true") return true;
  throw new ObolError("ERR_CONFIG", `${name} must be true or false`);
}
