import { ObolError } from "../../errors/obol-error.js";

/** Settings of the e-cash module (SVS1-M, shared/specs/svs-protocol.md), read from the environment. */
export interface EcashConfig {
  /** ID_N, the operator identity hashed into every registration and token (§2.1 I4). */
  operatorId: string;
  /** The one currency e-cash tokens are denominated in: τ carries amounts only. */
  currency: string;
  /** Largest M of one withdrawal (§2.4 N step 3), minor units. */
  withdrawAmountMax: bigint;
  /** Token lifetime: exp = issue time + tokenTtlMs (§2.4 N step 5). */
  tokenTtlMs: number;
  /** Deposits are taken until exp + depositGraceMs; then the rest of the escrow goes back (§2.7 step 5). */
  depositGraceMs: number;
  /** notAfter of a registration (§2.2 R2b). */
  registrationTtlMs: number;
  /** Refused e-cash messages one caller may send per minute before it is refused outright (§2.0 rate limit). */
  rejectionsPerMinuteMax: number;
  /** How often the sweeper applies outstanding ledger moves, refunds expired tokens and prunes caches. */
  sweepIntervalMs: number;
}

const day = 86_400_000;

export function loadEcashConfig(env: NodeJS.ProcessEnv, currencies: readonly string[]): EcashConfig {
  const operatorId = env.OBOL_ECASH_ID ?? "obol";
  if (!/^[\x21-\x7e]{1,64}$/.test(operatorId)) throw new ObolError("ERR_CONFIG", "OBOL_ECASH_ID must be 1 to 64 visible ASCII characters");
  const currency = env.OBOL_ECASH_CURRENCY ?? currencies[0]!;
  if (!currencies.includes(currency)) throw new ObolError("ERR_CONFIG", `OBOL_ECASH_CURRENCY: ${currency} is not one of OBOL_CURRENCIES`);
  return {
    operatorId,
    currency,
    withdrawAmountMax: BigInt(integer(env, "OBOL_ECASH_WITHDRAW_AMOUNT_MAX", 1_000_000, 1, Number.MAX_SAFE_INTEGER)),
    tokenTtlMs: integer(env, "OBOL_ECASH_TOKEN_TTL_DAYS", 30, 1, 3650) * day,
    depositGraceMs: integer(env, "OBOL_ECASH_DEPOSIT_GRACE_DAYS", 7, 0, 365) * day,
    registrationTtlMs: integer(env, "OBOL_ECASH_REGISTRATION_TTL_DAYS", 365, 1, 3650) * day,
    rejectionsPerMinuteMax: integer(env, "OBOL_ECASH_REJECTIONS_PER_MINUTE_MAX", 20, 1, 1_000_000),
    sweepIntervalMs: integer(env, "OBOL_ECASH_SWEEP_SECONDS", 5, 1, 3600) * 1000,
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ObolError("ERR_CONFIG", `${name} must be an integer in ${min}..${max}`);
  return value;
}
