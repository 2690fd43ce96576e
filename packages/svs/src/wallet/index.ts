/** U, the wallet side of SVS1-M. See packages/svs/README.md for the sequence. */
export { emptyWalletState } from "./state.js";
export type { InFlightPayment, KnownMerchant, PendingWithdrawal, WalletLogEntry, WalletSession, WalletState, WalletToken } from "./state.js";
export { startWalletEnrolment, resendWalletEnrolment, finishWalletEnrolment, makeLoginProof, addMerchant } from "./identity.js";
export type { MerchantDescriptor } from "./identity.js";
export { startWithdrawal, resendWithdrawal, abandonWithdrawal, handleW2 } from "./withdraw.js";
export { pay, handlePaymentReply, resendPayment, abandonSession } from "./pay.js";
export type { PaymentOrder, PaymentOutcome } from "./pay.js";
export { inspectConfirmation, answerConfirmation, listTokens } from "./confirm.js";
export type { ConfirmationRequestView } from "./confirm.js";
