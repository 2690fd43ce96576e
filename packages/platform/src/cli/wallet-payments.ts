import { X509Certificate } from "node:crypto";
import { createInterface } from "node:readline/promises";
import { verifyReceipt, type XmlNode } from "@obol/xml";
import { ObolError } from "../errors/obol-error.js";
import { formatAmount } from "../money.js";
import { loadKeystore, nodes, openAnswer, send, type Keystore } from "./wallet.js";

/**
 * The payer's side of merchant payments in the CLI wallet: read the confirmation requests the
 * platform pushed (long-poll), confirm or decline them with a signed message, confirm receipt of
 * escrowed goods, dispute. Every answer is verified against the platform certificate pinned at
 * enrolment before anything is printed.
 */
async function exchange(keystore: Keystore, type: string, body: XmlNode[]): Promise<{ status: number; xml: string; element: XmlNode | undefined }> {
  const { status, xml } = await send(keystore, type, body);
  return { status, xml, element: nodes((await openAnswer(keystore, xml)).body)[0] };
}

function describe(a: Record<string, string>): string {
  return `${formatAmount(BigInt(a.Amount ?? "0"), a.Currency ?? "XXX")} to ${a.MerchantName} (reference ${a.Reference}${a.Kind === "escrow" ? ", escrow" : ""}), expires ${a.ExpiresAt}, payment ${a.PaymentId}`;
}

async function inbox(keystore: Keystore, waitSeconds: number): Promise<Record<string, string>[]> {
  const { element } = await exchange(keystore, "wallet.inbox", [{ name: "Inbox", attributes: { WaitSeconds: String(waitSeconds) } }]);
  return (element?.children ?? []).filter((c): c is XmlNode => typeof c !== "string").map((c) => c.attributes ?? {});
}

export async function walletInbox(options: { keystore: string; waitSeconds: number }): Promise<number> {
  const keystore = await loadKeystore(options.keystore);
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

async function agreed(question: string, yes: boolean): Promise<boolean> {
  if (yes || !process.stdin.isTTY) return true;
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export async function walletConfirm(options: { keystore: string; paymentId?: string | undefined; funding: string; waitSeconds: number; yes: boolean }): Promise<number> {
  if (!["auto", "wallet", "bank"].includes(options.funding)) throw new ObolError("ERR_USAGE", "--funding must be auto, wallet or bank");
  const keystore = await loadKeystore(options.keystore);
  const request = await pick(keystore, options.paymentId, options.waitSeconds);
  console.log(`request: ${describe(request)}`);
  if (!(await agreed("Pay?", options.yes))) {
    console.log("not confirmed");
    return 1;
  }
  const { status, xml, element } = await exchange(keystore, "wallet.payment.confirm", [{
    name: "Confirm", attributes: { PaymentId: request.PaymentId!, MerchantId: request.MerchantId!, Amount: request.Amount!, Currency: request.Currency!, Funding: options.funding },
  }]);
  if (status === 201) {
    const receipt = verifyReceipt(xml, new X509Certificate(keystore.platform.signing));
    console.log(`${receipt.status === "held" ? "paid into escrow" : "paid"} ${formatAmount(BigInt(receipt.amountMinor), receipt.currency)} to ${request.MerchantName}: payment ${receipt.transactionId}, receipt verified (platform signature)`);
    return 0;
  }
  const a = element?.attributes ?? {};
  if (status === 202) {
    console.log(`confirmed; the payment is ${a.State} (funding ${a.Funding}); check with: obol wallet payments`);
    return 0;
  }
  console.log(`refused: ${a.Code ?? a.Reason ?? "unknown"} (payment ${request.PaymentId}, state ${a.State ?? "unchanged"}; signed answer kept)`);
  return 1;
}

async function act(options: { keystore: string; paymentId: string }, type: string, name: string, extra: Record<string, string> = {}): Promise<number> {
  const keystore = await loadKeystore(options.keystore);
  const { element } = await exchange(keystore, type, [{ name, attributes: { PaymentId: options.paymentId, ...extra } }]);
  const a = element?.attributes ?? {};
  if (a.Code !== undefined) {
    console.log(`refused: ${a.Code}`);
    return 1;
  }
  console.log(`payment ${a.PaymentId}: ${a.State}${a.Reason ? ` (${a.Reason})` : ""}`);
  return 0;
}

export async function walletDecline(options: { keystore: string; paymentId?: string | undefined; waitSeconds: number }): Promise<number> {
  const paymentId = options.paymentId ?? (await pick(await loadKeystore(options.keystore), undefined, options.waitSeconds)).PaymentId!;
  return act({ keystore: options.keystore, paymentId }, "wallet.payment.decline", "Decline");
}

export const walletReceived = (options: { keystore: string; paymentId: string }) => act(options, "wallet.escrow.receipt", "ReceiptConfirmation");
export const walletDispute = (options: { keystore: string; paymentId: string; reason: string }) => act(options, "wallet.escrow.dispute", "Dispute", { Reason: options.reason });

export async function walletPayments(options: { keystore: string }): Promise<number> {
  const keystore = await loadKeystore(options.keystore);
  const { element } = await exchange(keystore, "wallet.payments", [{ name: "Payments", attributes: { Limit: "20" } }]);
  for (const p of element?.children ?? []) {
    if (typeof p === "string") continue;
    const a = p.attributes ?? {};
    console.log(`${a.UpdatedAt}  ${(a.State ?? "").padEnd(21)} ${formatAmount(BigInt(a.Amount ?? "0"), a.Currency ?? "XXX")}  ${a.Reference}  ${a.PaymentId}${a.Reason ? `  ${a.Reason}` : ""}`);
  }
  return 0;
}
