import { PkiError } from "../errors.js";
import type { PkiErrorCode } from "../errors.js";
import { loadBinding } from "./binding.js";
import type { Attribute, Handle, Pkcs11Module } from "./binding.js";
import {
  CKA_CLASS, CKA_LABEL, CKA_TOKEN, CKF_OS_LOCKING_OK, CKF_RW_SESSION, CKF_SERIAL_SESSION, CKF_TOKEN_INITIALIZED,
  CKR_CRYPTOKI_ALREADY_INITIALIZED, CKR_PIN_EXPIRED, CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE,
  CKR_PIN_LOCKED, CKR_USER_ALREADY_LOGGED_IN, CKU_USER,
} from "./constants.js";

/** Where the key is and how to log in. Passed whole; the PIN is used for C_Login and not kept. */
export interface Pkcs11Config {
  /** Absolute path of the PKCS#11 module, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly modulePath: string;
  /** CK_TOKEN_INFO.label of the token (1 to 32 characters; trailing blanks are padding). */
  readonly tokenLabel: string;
  /** The user PIN. Never written into an error message. */
  readonly pin: string;
  /** CKA_LABEL shared by the private and the public key object: [A-Za-z0-9._-]{1,64}. */
  readonly keyLabel: string;
}

/** A logged-in session on one token, and the label of the key pair it is for (no PIN: that is not kept). */
export interface TokenSession {
  readonly module: Pkcs11Module;
  readonly session: Handle;
  readonly keyLabel: string;
  close(): void;
}

const pinCharsMax = 256;

export function checkConfig(config: Pkcs11Config): Pkcs11Config {
  const { modulePath, tokenLabel, pin, keyLabel } = config ?? ({} as Pkcs11Config);
  if (typeof modulePath !== "string" || !modulePath.startsWith("/") || /[\u0000-\u001f]/.test(modulePath)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "modulePath must be an absolute path");
  }
  if (typeof tokenLabel !== "string" || tokenLabel.trim() === "" || Buffer.byteLength(tokenLabel) > 32 || /[\u0000-\u001f]/.test(tokenLabel)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "tokenLabel must be 1 to 32 bytes of printable UTF-8");
  }
  if (typeof pin !== "string" || pin.length === 0 || pin.length > pinCharsMax) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `the PIN must be 1 to ${pinCharsMax} characters`);
  }
  if (typeof keyLabel !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(keyLabel)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "keyLabel must be 1 to 64 of [A-Za-z0-9._-]");
  }
  return config;
}

/** RFC 7512 PKCS#11 URI of the private key: a name for it in logs and records (no PIN, no module path). */
export function tokenKeyUri(config: Pkcs11Config): string {
  const encode = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `pkcs11:token=${encode(config.tokenLabel)};object=${encode(config.keyLabel)};type=private`;
}

/** The numeric CKR_ code of a pkcs11js error, if it is one. */
function ckr(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return (error as { name?: unknown } | null)?.name === "Pkcs11Error" && typeof code === "number" ? code : undefined;
}

/** A PkiError for a failed PKCS#11 call: the CKR_ name and what was being done, never arguments. */
export function pkcs11Failure(error: unknown, doing: string, code: PkiErrorCode = "ERR_PKI_PKCS11_FAILED"): PkiError {
  if (error instanceof PkiError) return error;
  const name = (error as { message?: unknown } | null)?.message;
  const reason = typeof name === "string" && /^CKR_[A-Z0-9_]+$/.test(name) ? name : ckr(error) !== undefined ? `CKR 0x${ckr(error)!.toString(16)}` : "native error";
  return new PkiError(code, `PKCS#11: ${doing} failed (${reason})`, { cause: error });
}

/**
 * One initialised module per path for the life of the process: C_Initialize is once per process and library
 * (a second one answers CKR_CRYPTOKI_ALREADY_INITIALIZED), and C_Finalize would cut every other user's sessions.
 */
const modules = new Map<string, Promise<Pkcs11Module>>();

function initialisedModule(modulePath: string): Promise<Pkcs11Module> {
  let loaded = modules.get(modulePath);
  if (loaded === undefined) {
    loaded = loadBinding().then((binding) => {
      const module = new binding.PKCS11();
      try {
        module.load(modulePath);
      } catch (error) {
        throw pkcs11Failure(error, `loading the module ${modulePath}`, "ERR_PKI_PKCS11_MODULE");
      }
      try {
        // pkcs11js runs *Async calls on worker threads: the module must lock with the OS primitives (§5.4).
        module.C_Initialize({ flags: CKF_OS_LOCKING_OK });
      } catch (error) {
        if (ckr(error) !== CKR_CRYPTOKI_ALREADY_INITIALIZED) throw pkcs11Failure(error, "C_Initialize", "ERR_PKI_PKCS11_MODULE");
      }
      return module;
    });
    loaded.catch(() => modules.delete(modulePath));
    modules.set(modulePath, loaded);
  }
  return loaded;
}

/**
 * Opens a session on the one initialised token labelled config.tokenLabel and logs the user in.
 * ERR_PKI_PKCS11_UNAVAILABLE / _MODULE / _TOKEN / _PIN / _FAILED.
 */
export async function openTokenSession(config: Pkcs11Config, options: { readWrite: boolean }): Promise<TokenSession> {
  checkConfig(config);
  const module = await initialisedModule(config.modulePath);
  let slot: Handle;
  try {
    const wanted = config.tokenLabel.trimEnd();
    const slots = module.C_GetSlotList(true).filter((candidate) => {
      const info = module.C_GetTokenInfo(candidate);
      return (info.flags & CKF_TOKEN_INITIALIZED) !== 0 && info.label.trimEnd() === wanted;
    });
    if (slots.length !== 1) {
      throw new PkiError("ERR_PKI_PKCS11_TOKEN", `${slots.length === 0 ? "no" : "more than one"} initialised token labelled "${wanted}"`);
    }
    slot = slots[0]!;
  } catch (error) {
    throw pkcs11Failure(error, "looking the token up", "ERR_PKI_PKCS11_TOKEN");
  }
  let session: Handle;
  try {
    session = module.C_OpenSession(slot, CKF_SERIAL_SESSION | (options.readWrite ? CKF_RW_SESSION : 0));
  } catch (error) {
    throw pkcs11Failure(error, "C_OpenSession");
  }
  const close = () => {
    try {
      module.C_CloseSession(session);
    } catch {
      // already closed, or the token went away: nothing left to release
    }
  };
  try {
    module.C_Login(session, CKU_USER, config.pin);
  } catch (error) {
    close();
    const code = ckr(error);
    if (code === CKR_USER_ALREADY_LOGGED_IN) {
      // The login state is shared by all sessions of this process on the token, so the PIN would go unchecked.
      throw pkcs11Failure(error, "C_Login (this process already has a logged-in session on the token)");
    }
    const badPin = [CKR_PIN_INCORRECT, CKR_PIN_INVALID, CKR_PIN_LEN_RANGE, CKR_PIN_EXPIRED, CKR_PIN_LOCKED].includes(code ?? -1);
    throw pkcs11Failure(error, "C_Login", badPin ? "ERR_PKI_PKCS11_PIN" : "ERR_PKI_PKCS11_FAILED");
  }
  return { module, session, keyLabel: config.keyLabel, close };
}

/** Handles of the token objects of a class with the configured label (at most `max`). */
export function findByLabel(token: TokenSession, objectClass: number, max = 2): Handle[] {
  const template: Attribute[] = [
    { type: CKA_CLASS, value: objectClass },
    { type: CKA_TOKEN, value: true },
    { type: CKA_LABEL, value: token.keyLabel },
  ];
  try {
    token.module.C_FindObjectsInit(token.session, template);
    try {
      return token.module.C_FindObjects(token.session, max);
    } finally {
      token.module.C_FindObjectsFinal(token.session);
    }
  } catch (error) {
    throw pkcs11Failure(error, "C_FindObjects");
  }
}
