/** P, the merchant side of SVS1-M. See packages/svs/README.md for the sequence. */
export { emptyMerchantState } from "./state.js";
export type { Catalogue, MerchantDeposit, MerchantRecord, MerchantRecordStatus, MerchantSession, MerchantState, MerchantToken, SeenR } from "./state.js";
export { startMerchantEnrolment, finishMerchantEnrolment, merchantDescriptor } from "./identity.js";
export { handlePayment, handleP1, handlePj } from "./pay.js";
export type { MerchantInput, MerchantPayment } from "./pay.js";
export { startDeposit, resendDeposit, abandonDeposit, handleD4, pruneSeen } from "./deposit.js";
export { makeLoginProof } from "../wallet/identity.js";
