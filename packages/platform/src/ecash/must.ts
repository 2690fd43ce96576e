import type { SvsFailure } from "@obol/svs";
import { ObolError } from "../errors/obol-error.js";

/** The value of an @obol/svs outcome, or its failure as an ObolError with @obol/svs's stable code. */
export function must<T extends { ok: boolean }>(outcome: T): Extract<T, { ok: true }> {
  if (!outcome.ok) {
    const failure = (outcome as unknown as { failure: SvsFailure }).failure;
    throw new ObolError(failure.code, failure.code === "ERR_SVS_REJECTED" ? `an answer failed its check (${failure.reason ?? "unknown"})` : failure.message);
  }
  return outcome as Extract<T, { ok: true }>;
}
