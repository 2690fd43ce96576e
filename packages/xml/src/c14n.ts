// xml-crypto's exclusive canonicalization, imported from its module file: the package index would also load
// its SignedXml (Node's util) and signature algorithms (node:crypto), which the client library never uses.
import { ExclusiveCanonicalization } from "xml-crypto/lib/exclusive-canonicalization.js";

/**
 * Exclusive XML Canonicalization 1.0 without comments (xml-exc-c14n §3) of an element and its subtree, by
 * xml-crypto. No InclusiveNamespaces PrefixList: inspectSignature() refuses one.
 */
export function excC14n(element: Element): string {
  return new ExclusiveCanonicalization().process(element, {});
}
