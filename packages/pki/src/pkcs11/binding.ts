import { PkiError } from "../errors.js";

/**
 * The part of pkcs11js (an optional native addon) this package calls, typed here so that the project builds
 * and runs where the addon is absent: it is imported only when a token is configured.
 */
export type Handle = Buffer;
export interface Attribute {
  type: number;
  value?: number | boolean | string | Buffer;
}
export interface AttributeResult {
  type: number;
  value: Buffer;
}
export interface Pkcs11Module {
  load(path: string): void;
  C_Initialize(options?: { flags?: number }): void;
  C_GetSlotList(tokenPresent?: boolean): Handle[];
  C_GetTokenInfo(slot: Handle): { label: string; flags: number };
  C_OpenSession(slot: Handle, flags: number): Handle;
  C_CloseSession(session: Handle): void;
  C_Login(session: Handle, userType: number, pin?: string): void;
  C_FindObjectsInit(session: Handle, template: Attribute[]): void;
  C_FindObjects(session: Handle, maxObjectCount: number): Handle[];
  C_FindObjectsFinal(session: Handle): void;
  C_GetAttributeValue(session: Handle, object: Handle, template: Attribute[]): AttributeResult[];
  C_GenerateKeyPair(session: Handle, mechanism: { mechanism: number }, publicTemplate: Attribute[], privateTemplate: Attribute[]): { publicKey: Handle; privateKey: Handle };
  C_DestroyObject(session: Handle, object: Handle): void;
  C_SignInit(session: Handle, mechanism: { mechanism: number }, key: Handle): void;
  C_SignAsync(session: Handle, data: Buffer, out: Buffer): Promise<Buffer>;
}
export interface Pkcs11Binding {
  PKCS11: new () => Pkcs11Module;
}

/** The binding's name in a variable: TypeScript then does not look for its types at build time. */
const bindingName = "pkcs11js";
let loading: Promise<Pkcs11Binding> | undefined;

/** Loads pkcs11js once. ERR_PKI_PKCS11_UNAVAILABLE when it is not installed or its native part did not build. */
export function loadBinding(): Promise<Pkcs11Binding> {
  loading ??= importBinding().catch((cause: unknown) => {
    loading = undefined;
    throw new PkiError(
      "ERR_PKI_PKCS11_UNAVAILABLE",
      "PKCS#11 is configured but the optional pkcs11js binding is not available: install a C++ toolchain " +
        "(Debian: build-essential python3) and run npm install again, which builds it",
      { cause },
    );
  });
  return loading;
}

async function importBinding(): Promise<Pkcs11Binding> {
  const imported = (await import(bindingName)) as { default?: Pkcs11Binding } & Partial<Pkcs11Binding>;
  const binding = (imported.default ?? imported) as Pkcs11Binding;
  if (typeof binding.PKCS11 !== "function") throw new Error("pkcs11js has no PKCS11 class");
  return binding;
}
