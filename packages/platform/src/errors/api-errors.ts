/**
 * Every error code the API can return, with its HTTP status and a default message. Codes are
 * stable: clients match on them. A code is never reused for another meaning; retired codes stay
 * listed. The body is always { "error": { "code", "message", "details"? } }.
 */
export const apiErrors = {
  ERR_VALIDATION: [400, "The request does not match the schema"],
  ERR_MALFORMED_JSON: [400, "The body is not valid JSON"],
  ERR_BAD_REQUEST: [400, "The request is malformed (URL, headers or framing)"],
  ERR_AMOUNT_INVALID: [400, "amount must be a string of minor units, 1 to 9223372036854775807"],
  ERR_CSR_INVALID: [400, "The certificate request is malformed, badly signed, or not for a P-256 key"],
  ERR_CSR_KEY_UNSUPPORTED: [400, "The certificate request's key is not accepted: EC P-256, or RSA 2048-4096 where legacy RSA devices are enabled"],
  ERR_MESSAGE_MALFORMED: [400, "The message is not a well-formed Obol message, or breaks a limit"],
  ERR_MESSAGE_STALE: [400, "The message's timestamp is outside the accepted window"],
  ERR_MESSAGE_DECRYPT_FAILED: [400, "The message's confidential part could not be decrypted"],
  ERR_MESSAGE_TYPE_UNKNOWN: [400, "No such message type"],
  ERR_ECASH_REJECTED: [400, "The e-cash message was refused; nothing changed"],
  ERR_CURRENCY_UNKNOWN: [400, "currency is not an ISO 4217 code"],
  ERR_REQUEST_KEY_INVALID: [400, "publicKey must be a PEM P-256 public key (SPKI)"],
  ERR_PURCHASE_INVALID: [400, "An order needs 1 to 20 distinct active products of one currency, 1 to 99 of each"],
  ERR_URL_NOT_ALLOWED: [400, "The URL is not allowed (http(s) only; no private or loopback addresses in production)"],
  ERR_EXPIRY_INVALID: [400, "expiresInSeconds is outside the allowed range"],
  ERR_MSISDN_INVALID: [400, "MSISDN must be in E.164 form, e.g. +254700000001"],
  ERR_IDEMPOTENCY_KEY_REQUIRED: [400, "This request moves money and needs an Idempotency-Key header"],
  ERR_IDEMPOTENCY_KEY_INVALID: [400, "Idempotency-Key must be 8 to 255 visible ASCII characters"],
  ERR_NOTE_INVALID: [400, "note must be at most 140 characters (Unicode code points, after trimming) without control or bidirectional-override characters"],
  ERR_PASSWORD_WEAK: [400, "The new password must be 10 to 128 characters"],
  ERR_WEBHOOK_URL_INVALID: [400, "The webhook URL must be an absolute http(s) URL of printable ASCII, at most 2048 characters, without credentials or fragment"],
  ERR_UNAUTHENTICATED: [401, "Missing or invalid credentials"],
  ERR_REQUEST_SIGNATURE: [401, "The request's obol-signature does not verify with the merchant's registered key, or its obol-timestamp is more than 5 minutes off"],
  ERR_REQUEST_SIGNATURE_REQUIRED: [401, "This merchant requires signed requests (obol-timestamp and obol-signature headers)"],
  ERR_INVALID_CREDENTIALS: [401, "Wrong login or password"],
  ERR_MESSAGE_SIGNATURE: [401, "The message's signature is missing, malformed or does not verify"],
  ERR_MESSAGE_ALGORITHM: [401, "The message's signature algorithm is not accepted from this signer: ECDSA-SHA256, or RSA-SHA256 from an RSA device certificate where legacy RSA devices are enabled"],
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
  ERR_CURRENT_PASSWORD_WRONG: [403, "The current password is wrong; nothing was changed"],
  ERR_NOT_PAYER: [403, "This payment is addressed to another user"],
  ERR_NOT_FOUND: [404, "Not found"],
  ERR_ROUTE_NOT_FOUND: [404, "No such route"],
  ERR_METHOD_NOT_ALLOWED: [405, "This route does not take this method; see the Allow header"],
  ERR_RECIPIENT_NOT_FOUND: [404, "No active user has that MSISDN"],
  ERR_ACCOUNT_NOT_FOUND: [404, "No such account"],
  ERR_MERCHANT_NOT_FOUND: [404, "No such merchant"],
  ERR_CERTIFICATE_NOT_FOUND: [404, "No such certificate"],
  ERR_TRANSFER_NOT_FOUND: [404, "No such transfer"],
  ERR_PAYMENT_NOT_FOUND: [404, "No such payment"],
  ERR_PRODUCT_NOT_FOUND: [404, "No such product"],
  ERR_PAYER_NOT_FOUND: [404, "No active user has the payer's MSISDN"],
  ERR_WEBHOOK_ENDPOINT_NOT_FOUND: [404, "This merchant has no webhook endpoint; set one first"],
  ERR_WEBHOOK_EVENT_NOT_FOUND: [404, "No such webhook event for this merchant"],
  ERR_IDEMPOTENCY_MISMATCH: [409, "This Idempotency-Key was used with a different request"],
  ERR_IDEMPOTENCY_IN_PROGRESS: [409, "A request with this Idempotency-Key is still being processed; retry shortly to get its answer"],
  ERR_MSISDN_TAKEN: [409, "A user with this MSISDN exists"],
  ERR_ECASH_NOT_REGISTERED: [409, "Register for e-cash first"],
  ERR_MESSAGE_REPLAY: [409, "This message (nonce or message id) was already received"],
  ERR_USERNAME_TAKEN: [409, "An operator with this username exists"],
  ERR_MERCHANT_STATE: [409, "The merchant is not in a state that allows this"],
  ERR_PAYMENT_STATE: [409, "The payment is not in a state that allows this"],
  ERR_PAYMENT_EXPIRED: [409, "The payment request has expired"],
  ERR_PAYMENT_DECLINED: [409, "The payer declined the payment"],
  ERR_PAYMENT_CANCELLED: [409, "The merchant cancelled the payment request"],
  ERR_PAYMENT_MISMATCH: [409, "The confirmation does not match the payment request (merchant, amount or currency)"],
  ERR_REFERENCE_TAKEN: [409, "This merchant reference is already used by another payment"],
  ERR_SKU_TAKEN: [409, "A product with this sku exists"],
  ERR_BODY_TOO_LARGE: [413, "The body is too large"],
  ERR_URI_TOO_LONG: [414, "A path parameter is too long"],
  ERR_UNSUPPORTED_MEDIA_TYPE: [415, "Send application/json"],
  ERR_CURRENCY_UNSUPPORTED: [422, "This platform does not hold that currency"],
  ERR_SELF_TRANSFER: [422, "Payer and payee are the same"],
  ERR_INSUFFICIENT_FUNDS: [422, "Not enough funds"],
  ERR_ACCOUNT_FROZEN: [422, "An account of this transfer is frozen"],
  ERR_AMOUNT_LIMIT: [422, "The amount is above the limit for this operation"],
  ERR_PURCHASE_REJECTED: [422, "The merchant did not accept the order"],
  ERR_REFUND_EXCEEDS_CAPTURE: [422, "Refunds would exceed what was captured"],
  ERR_LIMIT_REACHED: [422, "A limit on the number of records is reached"],
  ERR_WEBHOOK_URL_FORBIDDEN: [422, "The webhook URL points to a loopback, private, link-local or otherwise non-public address or name"],
  ERR_BANK_ACCOUNT_NOT_LINKED: [422, "Link a bank account in this currency first"],
  ERR_BANK_ACCOUNT_NOT_VERIFIED: [422, "The bank could not verify this account for this user"],
  ERR_BANK_LINK_CODE_WRONG: [422, "Wrong code; check the bank's message and try again"],
  ERR_BANK_LINK_FAILED: [422, "This link can no longer be confirmed (code expired or too many wrong codes); start again"],
  ERR_BANK_DECLINED: [422, "The bank declined the operation; nothing was moved"],
  ERR_LOGIN_LOCKED: [429, "Too many failed logins; try again later"],
  ERR_BANK_LINK_LIMIT: [429, "Too many bank account links started; try again later"],
  ERR_ECASH_RATE_LIMITED: [429, "Too many refused e-cash messages; try again later"],
  ERR_INTERNAL: [500, "Internal error"],
  ERR_LEDGER_BUSY: [503, "The ledger is busy; retry with the same Idempotency-Key"],
  ERR_LEDGER_UNAVAILABLE: [503, "The ledger is unavailable; retry with the same Idempotency-Key"],
  ERR_SHUTTING_DOWN: [503, "The server is shutting down; retry with the same Idempotency-Key"],
  ERR_NOT_READY: [503, "Not ready"],
  ERR_DATABASE_UNAVAILABLE: [503, "The database is unreachable; retry with the same Idempotency-Key"],
  ERR_BANK_NOT_CONFIGURED: [503, "No bank is configured on this platform"],
  ERR_BANK_UNAVAILABLE: [503, "The bank did not answer; try again"],
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
