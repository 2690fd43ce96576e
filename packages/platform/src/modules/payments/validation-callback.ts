/**
 * The merchant's validation callback of a catalogue purchase (seed 001 §9.3 step 3; the shape of
 * M-Pesa's C2B validation URL): the platform POSTs the order, signed like a webhook, and the
 * merchant answers {"result":"accept"} or {"result":"reject","reason":"…"} within its timeout.
 * No answer in time, a transport error or a malformed answer all mean "apply the default".
 */
export type ValidationAnswer =
  | { result: "accept" }
  | { result: "reject"; reason: string }
  | { result: "timeout" }
  | { result: "error"; detail: string };

export const validationResponseBytesMax = 16 * 1024;
const reasonCharsMax = 128;

export async function callValidation(url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<ValidationAnswer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST", body, redirect: "manual", signal: AbortSignal.timeout(timeoutMs),
      headers: { ...headers, "content-type": "application/json", "user-agent": "Obol-Validation/1" },
    });
  } catch (error) {
    const name = (error as Error).name;
    return name === "TimeoutError" || name === "AbortError" ? { result: "timeout" } : { result: "error", detail: "transport" };
  }
  try {
    if (response.status !== 200) return { result: "error", detail: `status ${response.status}` };
    const text = await readCapped(response, validationResponseBytesMax);
    if (text === undefined) return { result: "error", detail: "answer too large" };
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed !== "object" || parsed === null) return { result: "error", detail: "not an object" };
    const { result, reason } = parsed as { result?: unknown; reason?: unknown };
    if (result === "accept") return { result: "accept" };
    if (result === "reject") return { result: "reject", reason: typeof reason === "string" ? reason.slice(0, reasonCharsMax) : "rejected by the merchant" };
    return { result: "error", detail: "result must be accept or reject" };
  } catch (error) {
    const name = (error as Error).name;
    return name === "TimeoutError" || name === "AbortError" ? { result: "timeout" } : { result: "error", detail: "malformed answer" };
  }
}

async function readCapped(response: Response, bytesMax: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (reader === undefined) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > bytesMax) { await reader.cancel(); return undefined; }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}
