// @obol/svs: SVS1-M self-verified ECC e-cash (shared/specs/svs-protocol.md), as pure state machines.
// Three parties: platform (N), wallet (U), merchant (P). No IO: clock and randomness are arguments.
// SVS1-A, the profile as published, is NOT exported here: it lives at "@obol/svs/svs1a", for benchmarks only.
export * as platform from "./platform/index.js";
export * as wallet from "./wallet/index.js";
export * as merchant from "./merchant/index.js";

export type { PublicParams, Rng, Role } from "./types.js";
export type { Credential, PendingEnrolment } from "./credential.js";
export type { Outcome } from "./outcome.js";
export { SvsEncodingError, isSvsEncodingError } from "./errors.js";
export type { SvsEncodingErrorCode, SvsFailure, SvsFailureCode, SvsRejectReason } from "./errors.js";
export * from "./limits.js";
export * as messages from "./encoding/messages.js";
export { MessageType, messageNameOf, PaymentRejectReason } from "./encoding/messages.js";
export type { MessageName, Decision, DepositItemStatus, DepositResult, PaymentRejectReasonName } from "./encoding/messages.js";
export { stateToJson, stateFromJson } from "./state-json.js";
export { stateChanges } from "./state-changes.js";
export type { StateChange } from "./state-changes.js";
export { countOps, zeroOpCounts } from "./ops.js";
export type { OpCounts } from "./ops.js";
export { idKey, toHex, fromHex } from "./bytes.js";
