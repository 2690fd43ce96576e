// The bank channel's business messages: ISO 20022-shaped content of the signed @obol/xml envelope.
// Pure functions of plain data; README.md ("ISO 20022 mapping") maps every element.
export * from "./read.js";
export * from "./fields.js";
export * from "./payment.js";
export * from "./status.js";
export * from "./statement.js";
export * from "./link.js";
export * from "./reject.js";
