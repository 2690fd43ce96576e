export { paymentsMigrations } from "./migrations.js";
export { PaymentsService, defaultPaymentsLimits, platformRevenueKind, type PaymentsLimits, type MerchantEventsPort, type NotificationsPort, type BankFundingPort, type BankDebitOutcome, type FundingChoice, type Outcome } from "./service.js";
export { ProductsService, productView, type Product } from "./products.js";
export { paymentView, type PaymentView } from "./announcements.js";
export type { Payment, Refund } from "./store.js";
export * from "./state-machine.js";
export { feeFor, type FeeSchedule } from "./fees.js";
export { PurchasesService, purchaseLimits, type MerchantCallbackPort, type Purchase, type ValidationSettings } from "./purchases.js";
