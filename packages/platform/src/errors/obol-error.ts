/**
 * The one error type the platform throws on purpose. `code` is a stable string (`ERR_…`) that callers,
 * logs and API responses can match on; `message` is for humans and may change between versions.
 */
export class ObolError extends Error {
  readonly code: string;
  readonly details: unknown;

  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.name = "ObolError";
    this.code = code;
    this.details = details;
  }
}

export function isObolError(value: unknown, code?: string): value is ObolError {
  return value instanceof ObolError && (code === undefined || value.code === code);
}
