/** U's persistent state (svs-protocol.md §4), as plain data. Holds secrets (s_U, K_UN, K^j): store it encrypted. */
import type { Credential, PendingEnrolment } from "../credential.js";
import type { Decision } from "../encoding/messages.js";

/** A merchant U can pay: its public registration data and the cached implicit key Y_P (§4 "per merchant"). */
export interface KnownMerchant {
  readonly id: string;
  readonly v: Uint8Array;
  readonly notAfterMs: number;
  /** enc(Y_P) = enc(V_P + e_P·Q_N). */
  readonly y: Uint8Array;
}

/** A W1 kept for an idempotent retry (§2.4 U step 2). */
export interface PendingWithdrawal {
  readonly w1: Uint8Array;
  readonly t1Ms: number;
  readonly nonce1: Uint8Array;
  readonly amount: bigint;
  readonly payee: string;
  /** x(Z) = x(s_U·Q_N), kept so that W2 costs no second T_mul. Secret. */
  readonly zx: Uint8Array;
}

/** One accepted payment, as U logged it (§4: (ID_P, j, H(GI), price, cum)). */
export interface WalletLogEntry {
  readonly idP: string;
  readonly sid: Uint8Array;
  readonly j: number;
  readonly goodsInfoHash: Uint8Array;
  readonly price: bigint;
  readonly cum: bigint;
  readonly tMs: number;
  /** PAID until a deposit names it; then what U answered. */
  readonly status: "PAID" | "CONFIRMED" | "DISPUTED";
}

/** wallet[SN] = {τ, σ_N, K_UN, log} (§4). */
export interface WalletToken {
  readonly sn: Uint8Array;
  /** enc(τ) and σ_N, sent in every P1 and checked by P. */
  readonly tau: Uint8Array;
  readonly signature: Uint8Array;
  /** τ.M, τ.payee, τ.exp. */
  readonly amount: bigint;
  readonly payee: string;
  readonly expMs: number;
  /** K_UN and k_pauth = Expand(K_UN, "SVS1/pay/auth-key"). Secret. */
  readonly kUN: Uint8Array;
  readonly kPauth: Uint8Array;
  /** Σ accepted prices = cum of the last log entry. */
  readonly spent: bigint;
  readonly log: readonly WalletLogEntry[];
  /** Answers already given, by hex(dep_id): a D2 shown twice gets the same D3. */
  readonly answers: Readonly<Record<string, { readonly decision: Decision; readonly d3: Uint8Array }>>;
}

/** A payment sent and not yet answered. */
export interface InFlightPayment {
  readonly request: Uint8Array;
  /** H(C_j), bound into the reply's AD. */
  readonly requestCiphertextHash: Uint8Array;
  /** k_p2u^j, to open the reply. Secret. */
  readonly replyKey: Uint8Array;
  readonly goodsInfoHash: Uint8Array;
  readonly price: bigint;
  readonly cum: bigint;
  readonly tMs: number;
}

/** per session: {sid, current K^j, j, last sent C_j} (§4). */
export interface WalletSession {
  readonly sid: Uint8Array;
  readonly sn: Uint8Array;
  readonly idP: string;
  /** K^j for the payment j below (in flight or next). Secret. */
  readonly key: Uint8Array;
  readonly j: number;
  readonly inFlight: InFlightPayment | null;
}

export interface WalletState {
  readonly credential: Credential | null;
  readonly enrolment: PendingEnrolment | null;
  /** By idKey(ID_P). */
  readonly merchants: Readonly<Record<string, KnownMerchant>>;
  /** By hex(nonce1). */
  readonly withdrawals: Readonly<Record<string, PendingWithdrawal>>;
  /** By hex(SN). */
  readonly tokens: Readonly<Record<string, WalletToken>>;
  /** By hex(sid). */
  readonly sessions: Readonly<Record<string, WalletSession>>;
}

export function emptyWalletState(): WalletState {
  return { credential: null, enrolment: null, merchants: {}, withdrawals: {}, tokens: {}, sessions: {} };
}
