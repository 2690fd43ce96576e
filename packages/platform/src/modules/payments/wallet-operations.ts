import { onlyElement, type ContentDeclaration, type DeclaredContent, type XmlNode } from "@obol/xml";
import { statusOf, type ApiErrorCode } from "../../errors/api-errors.js";
import { parseAmount } from "../../money.js";
import type { ChannelAnswer, WalletOperation } from "../channel/service.js";
import type { PartiesService } from "../parties/service.js";
import type { ProductsService } from "./products.js";
import { purchaseLimits, type PurchasesService } from "./purchases.js";
import type { FundingChoice, Outcome, PaymentsService } from "./service.js";
import type { Payment } from "./store.js";

/**
 * The payer's side of payments over the signed wallet channel (seed 004 §2.3: the platform asks,
 * the user confirms with a signature). Message bodies (all attributes, one element):
 *
 *   wallet.inbox            <Inbox WaitSeconds="0..25"/>      → ConfirmationRequest elements
 *   wallet.payment.confirm  <Confirm PaymentId MerchantId Amount Currency Funding="auto|wallet|bank"/>
 *   wallet.payment.decline  <Decline PaymentId/>
 *   wallet.payment.status   <Status PaymentId/>
 *   wallet.escrow.receipt   <ReceiptConfirmation PaymentId/>  (the buyer received the goods)
 *   wallet.escrow.dispute   <Dispute PaymentId Reason/>
 *   wallet.payments         <Payments Limit="1..50"/>
 *   wallet.catalogue        <Catalogue MerchantId After? Limit?/>  → the merchant's active products
 *   wallet.purchase         <Purchase MerchantId IdempotencyKey Kind?="direct|escrow"><Item ProductId Quantity/>…</Purchase>
 *                           → after the merchant's validation, the ConfirmationRequest of the order's payment
 *
 * Each body is read strictly against its declaration below (the channel refuses anything else as
 * ERR_MESSAGE_MALFORMED before the handler runs); the handlers then check the values.
 *
 * A confirmation names the merchant, amount and currency it agrees to; the platform refuses one
 * that does not match the request. The signed confirmation is kept (its bytes, linked to the
 * payment), and the receipt carries its digest.
 */
export const inboxWaitSecondsMax = 25;
const paymentsListMax = 50;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const reasonPattern = /^[^\u0000-\u001f]{0,200}$/;

type Fields = Readonly<Record<string, string>>;
type Reply = (type: string, status: number, body: XmlNode[]) => Promise<ChannelAnswer>;

/** A body of one empty element `name` with the listed attributes (optional ones end in ?). */
const oneElement = (name: string, attributes: string[]): ContentDeclaration => [{ name, attributes }];

/** The attributes of the body's one element `name` (the declaration guarantees it is there, once). */
const fieldsOf = (content: DeclaredContent, name: string): Fields => onlyElement(content, name).attributes;

/** The business record of a message about one payment: the PaymentId of its one element `name`. */
const paymentIdOf = (name: string) => (content: DeclaredContent): string | null => {
  const id = fieldsOf(content, name).PaymentId;
  return id !== undefined && uuidPattern.test(id) ? `payment:${id}` : null;
};

const malformed = (detail: string): ChannelAnswer => ({ ok: false, code: "ERR_MESSAGE_MALFORMED", detail });

export function paymentWalletOperations(payments: PaymentsService, parties: PartiesService, products: ProductsService, purchases: PurchasesService): Record<string, WalletOperation> {
  const confirmationRequest = async (p: Payment, extra: Record<string, string> = {}): Promise<XmlNode> => {
    // The merchant's verified legal name, from the platform's records: what the payer agrees to pay.
    const merchant = await parties.merchantById(p.merchantId);
    return {
      name: "ConfirmationRequest",
      attributes: {
        PaymentId: p.id, MerchantId: p.merchantId, MerchantName: merchant?.legalName ?? "", MerchantStatus: merchant?.status ?? "unknown",
        Kind: p.kind, Amount: p.amount.toString(), Currency: p.currency, Reference: p.merchantReference, ExpiresAt: p.expiresAt.toISOString(), ...extra,
      },
      children: p.description === "" ? [] : [{ name: "Description", children: [p.description] }],
    };
  };

  const status = (p: Payment): XmlNode => ({
    name: "Payment",
    attributes: {
      PaymentId: p.id, MerchantId: p.merchantId, Kind: p.kind, State: p.state, Amount: p.amount.toString(), Currency: p.currency,
      Reference: p.merchantReference, ...(p.reason === null ? {} : { Reason: p.reason }), ...(p.fundingSource === null ? {} : { Funding: p.fundingSource }),
      RefundedAmount: p.refundedAmount.toString(), UpdatedAt: p.updatedAt.toISOString(),
    },
  });

  /** Refusals are signed answers too: the wallet can prove what the platform said. */
  const refusal = (reply: Reply, code: ApiErrorCode, paymentId: string): Promise<ChannelAnswer> =>
    reply("wallet.payment.refused", statusOf(code), [{ name: "Refusal", attributes: { Code: code, PaymentId: paymentId } }]);

  const answer = (outcome: Outcome<Payment>, paymentId: string, reply: Reply): Promise<ChannelAnswer> =>
    outcome.ok ? reply("wallet.payment.status", 200, [status(outcome.value)]) : refusal(reply, outcome.code, paymentId);

  const byPaymentId = (name: string, act: (user: Parameters<WalletOperation["handle"]>[0]["user"], paymentId: string, fields: Fields) => Promise<Outcome<Payment>>, extra: string[] = []): WalletOperation => ({
    content: oneElement(name, ["PaymentId", ...extra]),
    businessRef: paymentIdOf(name),
    async handle({ user, content, reply }) {
      const fields = fieldsOf(content, name);
      if (!uuidPattern.test(fields.PaymentId!)) return malformed(`${name} needs PaymentId`);
      return answer(await act(user, fields.PaymentId!, fields), fields.PaymentId!, reply);
    },
  });

  return {
    "wallet.inbox": {
      content: oneElement("Inbox", ["WaitSeconds?"]),
      async handle({ user, content, reply }) {
        const fields = fieldsOf(content, "Inbox");
        const wait = Number(fields.WaitSeconds ?? "0");
        if (!Number.isInteger(wait) || wait < 0 || wait > inboxWaitSecondsMax) return malformed(`Inbox WaitSeconds must be 0..${inboxWaitSecondsMax}`);
        const waiting = await payments.inbox(user, wait * 1000);
        const requests: XmlNode[] = [];
        for (const p of waiting) requests.push(await confirmationRequest(p));
        return reply("wallet.inbox.result", 200, [{ name: "Inbox", children: requests }]);
      },
    },

    "wallet.payment.confirm": {
      content: oneElement("Confirm", ["PaymentId", "MerchantId", "Amount", "Currency", "Funding?"]),
      businessRef: paymentIdOf("Confirm"),
      async handle({ user, content, reply, receipt }) {
        const fields = fieldsOf(content, "Confirm");
        const amount = parseAmount(fields.Amount!);
        const funding = (fields.Funding ?? "auto") as FundingChoice;
        if (!uuidPattern.test(fields.PaymentId!) || !uuidPattern.test(fields.MerchantId!) || amount === undefined || !/^[A-Z]{3}$/.test(fields.Currency!)
          || !["auto", "wallet", "bank"].includes(funding)) {
          return malformed("Confirm needs PaymentId, MerchantId, Amount (minor units), Currency and optionally Funding=auto|wallet|bank");
        }
        const confirmed = await payments.confirm(user, { paymentId: fields.PaymentId!, merchantId: fields.MerchantId!, amount, currency: fields.Currency!, funding });
        if (!confirmed.ok) return refusal(reply, confirmed.code, fields.PaymentId!);
        const p = confirmed.value;
        if (p.state === "funding") return reply("wallet.payment.status", 202, [status(p)]);
        if (p.state !== "succeeded" && p.state !== "held") return reply("wallet.payment.status", statusOf(p.reason as ApiErrorCode), [status(p)]);
        return receipt({
          transactionId: p.id, status: p.state === "held" ? "held" : "completed", amountMinor: p.amount.toString(), currency: p.currency,
          payer: user.msisdn, payee: `merchant:${p.merchantId}`, completedAt: p.updatedAt,
        });
      },
    },

    "wallet.payment.decline": byPaymentId("Decline", (user, id) => payments.decline(user, id)),

    "wallet.payment.status": byPaymentId("Status", async (user, id) => {
      const p = await payments.store.byId(id);
      return p === undefined || p.payerUserId !== user.id ? { ok: false, code: "ERR_PAYMENT_NOT_FOUND" } : { ok: true, value: p };
    }),

    "wallet.escrow.receipt": byPaymentId("ReceiptConfirmation", (user, id) => payments.confirmReceipt(user, id)),

    "wallet.escrow.dispute": byPaymentId("Dispute", async (user, id, fields) => {
      if (!reasonPattern.test(fields.Reason!)) return { ok: false, code: "ERR_VALIDATION" };
      return payments.dispute(user, id, fields.Reason!);
    }, ["Reason"]),

    "wallet.catalogue": {
      content: oneElement("Catalogue", ["MerchantId", "After?", "Limit?"]),
      async handle({ content, reply }) {
        const fields = fieldsOf(content, "Catalogue");
        const limit = Number(fields.Limit ?? "50");
        if (!uuidPattern.test(fields.MerchantId!) || !Number.isInteger(limit) || limit < 1 || limit > 100
          || (fields.After !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(fields.After))) {
          return malformed("Catalogue needs MerchantId, optionally After (sku) and Limit 1..100");
        }
        const merchant = await parties.merchantById(fields.MerchantId!);
        if (merchant === undefined || merchant.status !== "approved") return reply("wallet.payment.refused", 404, [{ name: "Refusal", attributes: { Code: "ERR_MERCHANT_NOT_FOUND" } }]);
        const listed = await products.list(merchant.id, { afterSku: fields.After, limit, activeOnly: true });
        return reply("wallet.catalogue.result", 200, [{
          name: "Catalogue", attributes: { MerchantId: merchant.id, MerchantName: merchant.legalName },
          children: listed.map((p) => ({
            name: "Product", attributes: { ProductId: p.id, Sku: p.sku, Name: p.name, Price: p.price.toString(), Currency: p.currency },
            children: p.description === "" ? [] : [{ name: "Description", children: [p.description] }],
          })),
        }]);
      },
    },

    "wallet.purchase": {
      content: [{
        name: "Purchase", attributes: ["MerchantId", "IdempotencyKey", "Kind?"],
        content: [{ name: "Item", attributes: ["ProductId", "Quantity"], min: 1, max: purchaseLimits.itemsMax }],
      }],
      async handle({ user, content, reply }) {
        const order = onlyElement(content, "Purchase");
        const a = order.attributes;
        const kind = a.Kind ?? "direct";
        const items = order.children.Item!.map((n) => ({ productId: n.attributes.ProductId!, quantity: Number(n.attributes.Quantity!) }));
        if (!uuidPattern.test(a.MerchantId!) || !/^[\x21-\x7e]{8,128}$/.test(a.IdempotencyKey!) || !["direct", "escrow"].includes(kind)
          || items.some((i) => !uuidPattern.test(i.productId) || !Number.isInteger(i.quantity))) {
          return malformed("Purchase needs MerchantId, IdempotencyKey, optionally Kind, and 1 to 20 Item elements with ProductId and Quantity");
        }
        const bought = await purchases.purchase(user, { merchantId: a.MerchantId!, kind: kind as "direct" | "escrow", items: items.map(({ productId, quantity }) => ({ productId, quantity })), idempotencyKey: a.IdempotencyKey! });
        if (!bought.ok) return reply("wallet.purchase.refused", statusOf(bought.code), [{ name: "Refusal", attributes: { Code: bought.code, IdempotencyKey: a.IdempotencyKey! } }]);
        return reply("wallet.purchase.result", 201, [await confirmationRequest(bought.value.payment, { PurchaseId: bought.value.purchase.id })]);
      },
    },

    "wallet.payments": {
      content: oneElement("Payments", ["Limit?"]),
      async handle({ user, content, reply }) {
        const limit = Number(fieldsOf(content, "Payments").Limit ?? "20");
        if (!Number.isInteger(limit) || limit < 1 || limit > paymentsListMax) return malformed(`Payments Limit must be 1..${paymentsListMax}`);
        return reply("wallet.payments.result", 200, [{ name: "Payments", children: (await payments.paymentsOf(user, limit)).map(status) }]);
      },
    },
  };
}
