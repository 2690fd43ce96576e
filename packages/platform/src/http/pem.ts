/** RFC 7468 textual encoding. */
export function toPem(der: Uint8Array, label: "CERTIFICATE" | "X509 CRL"): string {
  const body = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

/** DER from PEM of the given label, or from plain base64; undefined when it is neither. */
export function fromPemOrBase64(text: string, label: string): Uint8Array | undefined {
  const pem = new RegExp(`^-----BEGIN ${label}-----\\r?\\n([A-Za-z0-9+/=\\r\\n]+)-----END ${label}-----\\s*$`).exec(text.trim() + "\n");
  const base64 = pem?.[1]?.replace(/\s/g, "") ?? text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(base64)) return undefined;
  const der = Buffer.from(base64, base64.includes("-") || base64.includes("_") ? "base64url" : "base64");
  return der.length > 0 ? new Uint8Array(der) : undefined;
}
