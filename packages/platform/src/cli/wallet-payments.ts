import { X509Certificate } from "node:crypto";
import { createInterface } from "node:readline/promises";
import { verifyReceipt, type XmlNode } from "@obol/xml";
import { ObolError } from "../errors/obol-error.js";
import { formatAmount } from "../money.js";
import { countdown } from "./progress.js";
import { loadKeystore, openAnswer, send, type Keystore } from "./wallet.js";

/**
 * The payer's side of merchant payments in the CLI wallet: read the confirmation requests the
 * platform pushed (long-poll), confirm or decline them with a signed message, confirm receipt of
 * escrowed goods, dispute. Every answer is verified against the platform certificate pinned at
 * enrolment before anything is printed.
 */
async function exchange(keystore: Keystore, type: string, body: XmlNode[]): Promise<{ status: number; xml: string; element: XmlNode | undefined }> {
  const { status, xml, sessionKey } = await send(keystore, type, body);
  // The content is the Body, or the Confidential part when the wallet holds a session key.
  return { status, xml, element: (await openAnswer(keystore, xml, sessionKey))[0] };
}

function describe(a: Record<string, string>): string {
  return `${formatAmount(BigInt(a.Amount ?? "0"), a.Currency ?? "XXX")} to ${a.MerchantName} (reference ${a.Reference}${a.Kind === "escrow" ? ", escrow" : ""}), expires ${a.ExpiresAt}, payment ${a.PaymentId}`;
}

/** The platform holds one inbox long-poll at most this long (its inbox wait limit): a longer --wait is several polls. */
const inboxPollSecondsMax = 25;

async function inbox(keystore: Keystore, waitSeconds: number): Promise<Record<string, string>[]> {
  const stop = countdown("waiting for a payment request", waitSeconds);
  try {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      const { element } = await exchange(keystore, "wallet.inbox", [{ name: "Inbox", attributes: { WaitSeconds: String(Math.min(left, inboxPollSecondsMax)) } }]);
      const requests = (element?.children ?? []).filter((c): c is XmlNode => typeof c !== "string").map((c) => c.attributes ?? {});
      if (requests.length > 0 || left <= inboxPollSecondsMax) return requests;
    }
  } finally {
    stop();
  }
}

export async function walletInbox(options: { keystore: string; url?: string | undefined; waitSeconds: number }): Promise<number> {
  const keystore = await loadKeystore(options.keystore, options.url);
  const requests = await inbox(keystore, options.waitSeconds);
  if (requests.length === 0) console.log("no payment requests waiting");
  for (const r of requests) console.log(`request: ${describe(r)}`);
  return 0;
}

/** The request to act on: the one named, or the only one waiting (waiting up to waitSeconds for it). */
async function pick(keystore: Keystore, paymentId: string | undefined, waitSeconds: number): Promise<Record<string, string>> {
  const requests = await inbox(keystore, waitSeconds);
  const chosen = paymentId === undefined ? (requests.length === 1 ? requests[0] : undefined) : requests.find((r) => r.PaymentId === paymentId);
  if (chosen !== undefined) return chosen;
  if (paymentId !== undefined) throw new ObolError("ERR_PAYMENT_NOT_FOUND", `no request ${paymentId} is waiting for you`);
  throw new ObolError("ERR_USAGE", requests.length === 0 ? "no payment request is waiting" : `${requests.length} requests are waiting: name one with --payment`);
}

/**
 * An explicit yes: --yes, or "y" typed in a terminal. With no terminal to ask in and no --yes, nothing is
 * signed: a script must say --yes on purpose.
 */
async function agreed(question: string, yes: boolean, what: string): Promise<boolean> {
  if (yes) return true;
  if (!process.stdin.isTTY) throw new ObolError("ERR_CONFIRMATION_REQUIRED", `not confirmed: there is no terminal to ask in; to pay ${what}, run again with --yes`);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export async function walletConfirm(options: { keystore: string; url?: string | undefined; paymentId?: string | undefined; funding: string; waitSeconds: number; yes: boolean }): Promise<number> {
  const keystore = await loadKeystore(options.keystore, options.url);
  const request = await pick(keystore, options.paymentId, options.waitSeconds);
  console.log(`request: ${describe(request)}`);
  const what = `${formatAmount(BigInt(request.Amount ?? "0"), request.Currency ?? "XXX")} to ${request.MerchantName} (reference ${request.Reference}, payment ${request.PaymentId})`;
  if (!(await agreed(`Pay ${what}?`, options.yes, what))) throw new ObolError("ERR_NOT_CONFIRMED", "not confirmed: nothing was signed, the request still waits (decline it with obol wallet decline)");
  const { status, xml, element } = await exchange(keystore, "wallet.payment.confirm", [{
    name: "Confirm", attributes: { PaymentId: request.PaymentId!, MerchantId: request.MerchantId!, Amount: request.Amount!, Currency: request.Currency!, Funding: options.funding },
  }]);
  if (status === 201) {
    const receipt = await verifyReceipt(xml, new X509Certificate(keystore.platform.signing));
    console.log(`${receipt.status === "held" ? "paid into escrow" : "paid"} ${formatAmount(BigInt(receipt.amountMinor), receipt.currency)} to ${request.MerchantName}: payment ${receipt.transactionId}, receipt verified (platform signature)`);
    return 0;
  }
  const a = element?.attributes ?? {};
  if (status === 202) {
    console.log(`confirmed; the payment is ${a.State} (funding ${a.Funding}); check with: obol wallet payments`);
    return 0;
  }
  throw new ObolError(a.Code ?? "ERR_REFUSED", `the platform refused to confirm payment ${request.PaymentId} (state ${a.State ?? "unchanged"}${a.Reason ? `, ${a.Reason}` : ""})`);
}

async function act(options: { keystore: string; url?: string | undefined; paymentId: string }, type: string, name: string, extra: Record<string, string> = {}): Promise<number> {
  const keystore = await loadKeystore(options.keystore, options.url);
  const { element } = await exchange(keystore, type, [{ name, attributes: { PaymentId: options.paymentId, ...extra } }]);
  const a = element?.attributes ?? {};
  if (a.Code !== undefined) throw new ObolError(a.Code, `the platform refused this for payment ${options.paymentId}`);
  console.log(`payment ${a.PaymentId}: ${a.State}${a.Reason ? ` (${a.Reason})` : ""}`);
  return 0;
}

export async function walletDecline(options: { keystore: string; url?: string | undefined; paymentId?: string | undefined; waitSeconds: number }): Promise<number> {
  const paymentId = options.paymentId ?? (await pick(await loadKeystore(options.keystore, options.url), undefined, options.waitSeconds)).PaymentId!;
  return act({ ...options, paymentId }, "wallet.payment.decline", "Decline");
}

export const walletReceived = (options: { keystore: string; url?: string | undefined; paymentId: string }) => act(options, "wallet.escrow.receipt", "ReceiptConfirmation");
export const walletDispute = (options: { keystore: string; url?: string | undefined; paymentId: string; reason: string }) => act(options, "wallet.escrow.dispute", "Dispute", { Reason: options.reason });

export async function walletPayments(options: { keystore: string; url?: string | undefined }): Promise<number> {
  const keystore = await loadKeystore(options.keystore, options.url);
  const { element } = await exchange(keystore, "wallet.payments", [{ name: "Payments", attributes: { Limit: "20" } }]);
  for (const p of element?.children ?? []) {
    if (typeof p === "string") continue;
    const a = p.attributes ?? {};
    console.log(`${a.UpdatedAt}  ${(a.State ?? "").padEnd(21)} ${formatAmount(BigInt(a.Amount ?? "0"), a.Currency ?? "XXX")}  ${a.Reference}  ${a.PaymentId}${a.Reason ? `  ${a.Reason}` : ""}`);
  }
  return 0;
}
