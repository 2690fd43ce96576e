// Stands in for Node's `crypto` in browser bundles of @obol/xml. xml-crypto's utils module requires `crypto` when
// it loads, for an X.509 helper (`getCertFromKeyInfo`/PEM checks) that @obol/xml never calls: the library itself
// uses only WebCrypto (globalThis.crypto.subtle). Map `crypto` here, e.g. esbuild `alias: { crypto: <this file> }`.
export default {};
