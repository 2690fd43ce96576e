/** Test world: one platform N, a wallet U and a merchant P, enrolled through the real R1/R3 exchange. */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { platform, wallet, merchant, toHex } from "../../src/index.js";
import type { PublicParams, Rng } from "../../src/index.js";
import type { PlatformConfig, PlatformState } from "../../src/platform/index.js";
import type { WalletState } from "../../src/wallet/index.js";
import type { Catalogue, MerchantState } from "../../src/merchant/index.js";

/** A deterministic random source (SHA-256 in counter mode over a seed): tests reproduce byte for byte. */
export function seededRng(seed: string): Rng {
  let counter = 0;
  return (byteLength: number) => {
    const out = new Uint8Array(byteLength);
    let offset = 0;
    while (offset < byteLength) {
      const block = createHash("sha256").update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, byteLength - offset)), offset);
      offset += 32;
    }
    return out;
  };
}

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
export const DAY_MS = 24 * 3600 * 1000;
export const ID_N = "N-operator";
export const ID_U = "alice@example";
export const ID_P = "shop-42";
export const ID_P2 = "shop-77";

const encoder = new TextEncoder();
export const gi = (text: string): Uint8Array => encoder.encode(text);

/** A catalogue: GI "item:<price>" costs <price> and delivers "goods for item:<price>". */
export const catalogue: Catalogue = (goodsInfo) => {
  const text = new TextDecoder().decode(goodsInfo);
  const match = /^item:(\d+)(?:#.*)?$/.exec(text);
  return match === null ? null : { price: BigInt(match[1] as string), goods: encoder.encode(`goods for ${text}`) };
};

export interface World {
  config: PlatformConfig;
  params: PublicParams;
  n: PlatformState;
  u: WalletState;
  p: MerchantState;
  p2: MerchantState;
  rng: Rng;
}

export function unwrap<T extends { ok: boolean }>(outcome: T): Extract<T, { ok: true }> {
  if (!outcome.ok) assert.fail(`expected success, got ${JSON.stringify((outcome as unknown as { failure: unknown }).failure)}`);
  return outcome as Extract<T, { ok: true }>;
}

export function makeWorld(seed = "world", policy: Partial<PlatformConfig["policy"]> = {}): World {
  const rng = seededRng(seed);
  const { params, keys } = platform.generatePlatformKeys(ID_N, rng);
  const config: PlatformConfig = { params, keys, policy: { ...platform.defaultPlatformPolicy, ...policy } };
  let n = platform.emptyPlatformState();
  const notAfterMs = T0 + 365 * DAY_MS;

  let u = wallet.emptyWalletState();
  const uStart = unwrap(wallet.startWalletEnrolment(u, params, ID_U, rng));
  const uR3 = unwrap(platform.handleR1(config, n, uStart.request, { id: ID_U, role: "U", account: "acct:alice", notAfterMs }, T0, rng));
  n = uR3.state;
  u = unwrap(wallet.finishWalletEnrolment(uStart.state, uR3.reply, T0)).state;

  const enrolMerchant = (id: string, account: string): MerchantState => {
    const start = unwrap(merchant.startMerchantEnrolment(merchant.emptyMerchantState(), params, id, rng));
    const r3 = unwrap(platform.handleR1(config, n, start.request, { id, role: "P", account, notAfterMs }, T0, rng));
    n = r3.state;
    return unwrap(merchant.finishMerchantEnrolment(start.state, r3.reply, T0)).state;
  };
  const p = enrolMerchant(ID_P, "acct:shop-42");
  const p2 = enrolMerchant(ID_P2, "acct:shop-77");
  for (const m of [p, p2]) u = unwrap(wallet.addMerchant(u, merchant.merchantDescriptor(m)!)).state;
  return { config, params, n, u, p, p2, rng };
}

/** Withdraws a token of `amount` for `payee` at time `now`; returns the world after it and hex(SN). */
export function withdraw(world: World, amount: bigint, payee = ID_P, now = T0, balance = 1_000_000n): { world: World; sn: string } {
  const start = unwrap(wallet.startWithdrawal(world.u, { amount, payee }, now, world.rng));
  const issued = unwrap(platform.handleW1(world.config, world.n, start.request, { now, rng: world.rng, availableBalance: balance }));
  const received = unwrap(wallet.handleW2(start.state, start.withdrawalId, issued.reply, now));
  return { world: { ...world, n: issued.state, u: received.state }, sn: toHex(received.token.sn) };
}

/** One payment of `price` for GI "item:<price>" from U to P (or P2), both sides; returns the world and the outcome. */
export function payOnce(world: World, sn: string, price: bigint, now: number, opts: { merchantId?: string; newSession?: boolean; tag?: string } = {}) {
  const merchantId = opts.merchantId ?? ID_P;
  const goodsInfo = gi(`item:${price}${opts.tag === undefined ? "" : `#${opts.tag}`}`);
  const sent = unwrap(wallet.pay(world.u, { sn, merchantId, goodsInfo, price, newSession: opts.newSession ?? false }, now, world.rng));
  const key = merchantId === ID_P ? "p" : "p2";
  const handled = unwrap(merchant.handlePayment(world[key], sent.request, { now, rng: world.rng, catalogue }));
  const answered = unwrap(wallet.handlePaymentReply(sent.state, sent.sid, handled.reply, now));
  return {
    world: { ...world, u: answered.state, [key]: handled.state } as World,
    outcome: answered.outcome,
    payment: handled.payment,
    request: sent.request,
    reply: handled.reply,
    sid: sent.sid,
  };
}

/** A deposit by P (or P2) with U's answer: returns the world, the D1, the D2 requests and the settle moves. */
export function depositAndConfirm(world: World, now: number, decision: "ACCEPT" | "REJECT", merchantKey: "p" | "p2" = "p") {
  const started = unwrap(merchant.startDeposit(world[merchantKey], now, world.rng));
  const handled = unwrap(platform.handleD1(world.config, world.n, started.request, now, world.rng));
  let n = handled.state;
  let u = world.u;
  const ledger = [];
  for (const request of handled.confirmations) {
    const answer = unwrap(wallet.answerConfirmation(u, request.d2, decision, now, world.rng));
    u = answer.state;
    const settled = unwrap(platform.handleD3(world.config, n, answer.request, now));
    n = settled.state;
    ledger.push(...settled.ledger);
  }
  const result = unwrap(platform.depositResult(n, depIdOf(started.depId), now, world.rng));
  const p = unwrap(merchant.handleD4(started.state, result.reply, now));
  return { world: { ...world, n, u, [merchantKey]: p.state } as World, d1: started.request, depId: started.depId, confirmations: handled.confirmations, ledger, results: p.results, firstD4: handled.reply };
}

function depIdOf(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}
