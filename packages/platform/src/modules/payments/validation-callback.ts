/**
 * The merchant's validation callback of a catalogue purchase (seed 001 §9.3 step 3; the shape of
 * M-Pesa's C2B validation URL): the platform POSTs the order, signed like a webhook, and the
 * merchant answers 200 {"result":"accept"} or {"result":"reject","reason":"…"} within its timeout.
 * No answer in time, a transport error or a malformed answer all mean "apply the default".
 */
export type ValidationAnswer =
  | { result: "accept" }
  | { result: "reject"; reason: string }
  | { result: "timeout" }
  | { result: "error"; detail: string };

/** What the transport reports (the webhooks module's sender: SSRF policy, pinned address, caps). */
export interface CallbackResult { ok: boolean; statusCode: number | null; errorClass: string | null; responseExcerpt: string }

const reasonCharsMax = 128;

export function readValidationAnswer(result: CallbackResult): ValidationAnswer {
  if (result.errorClass === "timeout") return { result: "timeout" };
  if (!result.ok || result.statusCode !== 200) return { result: "error", detail: result.errorClass ?? `status ${result.statusCode}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(result.responseExcerpt);
  } catch {
    return { result: "error", detail: "malformed answer" };
  }
  if (typeof parsed !== "object" || parsed === null) return { result: "error", detail: "not an object" };
  const { result: verdict, reason } = parsed as { result?: unknown; reason?: unknown };
  if (verdict === "accept") return { result: "accept" };
  if (verdict === "reject") return { result: "reject", reason: typeof reason === "string" ? reason.slice(0, reasonCharsMax) : "rejected by the merchant" };
  return { result: "error", detail: "result must be accept or reject" };
}
