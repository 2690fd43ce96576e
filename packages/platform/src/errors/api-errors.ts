/**
 * Every error code the API can return, with its HTTP status and a default message. Codes are
 * stable: clients match on them. A code is never reused for another meaning; retired codes stay
 * listed. The body is always { "error": { "code", "message", "details"? } }.
 */
export const apiErrors = {
  ERR_VALIDATION: [400, "The request does not match the schema"],
  ERR_MALFORMED_JSON: [400, "The body is not valid JSON"],
  ERR_AMOUNT_INVALID: [400, "amount must be a string of minor units, 1 to 9223372036854775807"],
  ERR_CSR_INVALID: [400, "The certificate request is malformed, badly signed, or not for a P-256 key"],
  ERR_MESSAGE_MALFORMED: [400, "The message is not a well-formed Obol message, or breaks a limit"],
  ERR_MESSAGE_STALE: [400, "The message's timestamp is outside the accepted window"],
  ERR_MESSAGE_DECRYPT_FAILED: [400, "The message's confidential part could not be decrypted"],
  ERR_MESSAGE_TYPE_UNKNOWN: [400, "No such message type"],
  ERR_CURRENCY_UNKNOWN: [400, "currency is not an ISO 4217 code"],
  ERR_MSISDN_INVALID: [400, "MSISDN must be in E.164 form, e.g. +254700000001"],
  ERR_IDEMPOTENCY_KEY_REQUIRED: [400, "This request moves money and needs an Idempotency-Key header"],
  ERR_IDEMPOTENCY_KEY_INVALID: [400, "Idempotency-Key must be 8 to 255 visible ASCII characters"],
  ERR_UNAUTHENTICATED: [401, "Missing or invalid credentials"],
  ERR_INVALID_CREDENTIALS: [401, "Wrong login or password"],
  ERR_MESSAGE_SIGNATURE: [401, "The message's signature is missing, malformed or does not verify"],
  ERR_CERTIFICATE_UNKNOWN: [401, "The signer's certificate is not in the platform directory"],
  ERR_SESSION_KEY_UNKNOWN: [401, "No session key has this name; ask for a new one (wallet.session-key)"],
  ERR_SESSION_KEY_EXPIRED: [401, "The session key has expired or was replaced; ask for a new one (wallet.session-key)"],
  ERR_FORBIDDEN: [403, "Not allowed for this caller"],
  ERR_ENROLMENT_CODE_INVALID: [403, "The enrolment code is wrong or was already used"],
  ERR_ENROLMENT_CODE_EXPIRED: [403, "The enrolment code has expired; ask for a new one"],
  ERR_ENROLMENT_CODE_LOCKED: [403, "Too many wrong enrolment codes; ask for a new one"],
  ERR_USER_SUSPENDED: [403, "The user is not active"],
  ERR_CERTIFICATE_REJECTED: [403, "The signer's certificate is revoked, expired or not valid for signing"],
  ERR_SESSION_KEY_FOREIGN: [403, "The session key belongs to another device"],
  ERR_MERCHANT_NOT_APPROVED: [403, "The merchant is not approved"],
  ERR_NOT_FOUND: [404, "Not found"],
  ERR_ROUTE_NOT_FOUND: [404, "No such route"],
  ERR_RECIPIENT_NOT_FOUND: [404, "No active user has that MSISDN"],
  ERR_ACCOUNT_NOT_FOUND: [404, "No such account"],
  ERR_MERCHANT_NOT_FOUND: [404, "No such merchant"],
  ERR_CERTIFICATE_NOT_FOUND: [404, "No such certificate"],
  ERR_IDEMPOTENCY_MISMATCH: [409, "This Idempotency-Key was used with a different request"],
  ERR_MSISDN_TAKEN: [409, "A user with this MSISDN exists"],
  ERR_MESSAGE_REPLAY: [409, "This message (nonce or message id) was already received"],
  ERR_USERNAME_TAKEN: [409, "An operator with this username exists"],
  ERR_MERCHANT_STATE: [409, "The merchant is not in a state that allows this"],
  ERR_BODY_TOO_LARGE: [413, "The body is too large"],
  ERR_UNSUPPORTED_MEDIA_TYPE: [415, "Send application/json"],
  ERR_CURRENCY_UNSUPPORTED: [422, "This platform does not hold that currency"],
  ERR_SELF_TRANSFER: [422, "Payer and payee are the same"],
  ERR_INSUFFICIENT_FUNDS: [422, "Not enough funds"],
  ERR_ACCOUNT_FROZEN: [422, "An account of this transfer is frozen"],
  ERR_AMOUNT_LIMIT: [422, "The amount is above the limit for this operation"],
  ERR_LOGIN_LOCKED: [429, "Too many failed logins; try again later"],
  ERR_INTERNAL: [500, "Internal error"],
  ERR_LEDGER_BUSY: [503, "The ledger is busy; retry with the same Idempotency-Key"],
  ERR_LEDGER_UNAVAILABLE: [503, "The ledger is unavailable; retry with the same Idempotency-Key"],
  ERR_SHUTTING_DOWN: [503, "The server is shutting down; retry with the same Idempotency-Key"],
  ERR_NOT_READY: [503, "Not ready"],
} as const satisfies Record<string, readonly [number, string]>;

export type ApiErrorCode = keyof typeof apiErrors;

export function statusOf(code: ApiErrorCode): number {
  return apiErrors[code][0];
}

export function isApiErrorCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(apiErrors, code);
}

/** What a handler throws (or a service returns) to answer with a documented error. */
export class ApiError extends Error {
  constructor(readonly code: ApiErrorCode, message?: string, readonly details?: unknown) {
    super(message ?? apiErrors[code][1]);
    this.name = "ApiError";
  }
}

export function errorBody(code: ApiErrorCode, message?: string, details?: unknown) {
  return { error: { code, message: message ?? apiErrors[code][1], ...(details === undefined ? {} : { details }) } };
}
