/** N, the platform side of SVS1-M. See packages/svs/README.md for the sequence. */
export { generatePlatformKeys, defaultPlatformPolicy } from "./config.js";
export type { PlatformConfig, PlatformKeys, PlatformPolicy } from "./config.js";
export { emptyPlatformState } from "./state.js";
export type {
  LedgerMove,
  PlatformDeposit,
  PlatformDepositItem,
  PlatformDepositItemStatus,
  PlatformState,
  PlatformToken,
  RegistryEntry,
  TokenStatus,
  WithdrawalCacheEntry,
} from "./state.js";
export { handleR1, handleA1, revoke } from "./registration.js";
export type { EnrolmentGrant } from "./registration.js";
export { handleW1 } from "./withdraw.js";
export type { WithdrawInput } from "./withdraw.js";
export { handleD1, handleD3, depositResult, sweepExpiredTokens, pruneCaches } from "./deposit.js";
export type { ConfirmationRequest } from "./deposit.js";
export { stateKeysFor } from "./view.js";
export type { PlatformStateKeys } from "./view.js";
export { replayKey } from "./authenticate.js";
