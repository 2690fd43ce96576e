// @obol/xml: hardened XML parsing and the signed, encrypted message envelope (XML-DSig, XML-Enc).
export { XmlError, isXmlError } from "./errors.js";
export type { XmlErrorCode } from "./errors.js";
export * from "./limits.js";
export * from "./namespaces.js";
export { parseXml, defaultParseLimits } from "./parse.js";
export type { ParseLimits, ParseOptions, ParsedXml } from "./parse.js";
