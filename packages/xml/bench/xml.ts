/**
 * @obol/xml throughput benchmark (issue 3). A benchmark, not a test: it prints figures and judges none of
 * them, and CI does not run it. Every figure stands beside two references measured in the same run, because
 * absolute numbers mean little across machines:
 *
 *   node:crypto raw   the primitive alone on the same bytes, no XML (ECDSA P-256 sign/verify of the message;
 *                     AES-256-GCM + RSA-OAEP of the Confidential element's bytes): the ceiling
 *   libxmlsec1        the C library (Debian xmlsec1 1.2.37 + libxml2 + OpenSSL), through xmlsec-harness.c,
 *                     compiled here at run time with gcc and pkg-config xmlsec1-openssl: the peer to beat
 *
 *   npm run bench:xml                       5 s per phase after a 1 s warm-up (12 phases, about 75 s)
 *   BENCH_SECONDS=20 npm run bench:xml      longer phases
 *
 * The message is a payment confirmation of about 1 KB. Sign: enveloped, exclusive c14n, SHA-256,
 * ECDSA-SHA256, the same P-256 key on both sides. Encrypt: its Confidential element, AES-256-GCM with the
 * content key by RSA-OAEP (mgf1p) to an RSA-2048 key. Before anything is timed, each side must verify and
 * decrypt what the other produced, and must refuse a tampered copy; otherwise the run fails.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  randomUUID,
  sign,
  verify,
} from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { decryptXml, encryptXml, isXmlError, parseXml, signEnveloped, verifySignature } from "../src/index.js";
import { buildHarness, findToolchain, Harness, MissingToolchain } from "./xmlsec-harness.js";
import type { HarnessOperation, HarnessResult } from "./xmlsec-harness.js";

// ── settings ────────────────────────────────────────────────────────────────────────────────────────────────
const BENCH_SECONDS = parseSeconds(process.env.BENCH_SECONDS, 5);
const WARMUP_SECONDS = Math.min(1, BENCH_SECONDS / 5);
/** Iterations of the libxmlsec1 calibration run, which sizes the real run to BENCH_SECONDS. */
const CALIBRATION_WARMUP = 10;
const CALIBRATION_ITERATIONS = 50;

const MSG = "urn:obol:msg:1";
const DSIG = "http://www.w3.org/2000/09/xmldsig#";
const KEY_NAME = "obol:bench:device"; // the harness names its key the same (KEY_NAME in xmlsec-harness.c)
const PIN = "4821";

function parseSeconds(text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0.2 || value > 600) throw new Error(`BENCH_SECONDS must be a number in 0.2..600, got ${text}`);
  return value;
}

// ── output ──────────────────────────────────────────────────────────────────────────────────────────────────
const benchStartedAt = performance.now();
function log(message: string): void {
  const at = ((performance.now() - benchStartedAt) / 1000).toFixed(1).padStart(6);
  console.log(`[${at} s] ${message}`);
}

type Operation = "sign" | "verify" | "encrypt" | "decrypt";
type Implementation = "obol" | "node" | "xmlsec";
const operations: readonly Operation[] = ["sign", "verify", "encrypt", "decrypt"];
const implementations: readonly Implementation[] = ["obol", "node", "xmlsec"];
const implementationNames: Record<Implementation, string> = {
  obol: "@obol/xml",
  node: "node:crypto raw",
  xmlsec: "libxmlsec1 (C)",
};

interface Row {
  operation: Operation;
  implementation: Implementation;
  what: string;
  perSecond: number;
  operations: number;
  p50Us: number;
  p99Us: number;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Latency samples in a growable typed array (a fast primitive does a few hundred thousand per phase). */
class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

// ── the message ─────────────────────────────────────────────────────────────────────────────────────────────
/** A payment confirmation of about 1 KB, with a Confidential element (PIN, MSISDN, OTP) to encrypt. */
function paymentMessage(): string {
  const messageId = randomUUID();
  return (
    `<Message xmlns="${MSG}" Id="m-${messageId}" MessageId="${messageId}" Timestamp="2026-11-21T10:15:30.123Z" ` +
    `Nonce="mxAqvskDjaTGzd6BvuDTfA" Type="payment.confirm">` +
    "<Body><Payment>" +
    `<Amount Currency="KES">125000</Amount><Fee Currency="KES">0</Fee>` +
    "<Payer><Wallet>WAL-0042-7781-2290</Wallet><Name>Wanjiku Kamau</Name></Payer>" +
    "<Payee><Merchant>MER-556677</Merchant><Name>Mama Njeri Groceries &amp; Household</Name><Till>884422</Till>" +
    "<Branch>Kenyatta Avenue, Nairobi</Branch></Payee>" +
    "<Reference>INV-2026-11-000421</Reference><Narrative>Weekly groceries: maize flour, sugar, milk, cooking oil</Narrative>" +
    "<Items><Item Sku=\"UNGA-2KG\" Quantity=\"2\">23000</Item><Item Sku=\"SUGAR-1KG\" Quantity=\"1\">18000</Item>" +
    "<Item Sku=\"MILK-500ML\" Quantity=\"6\">39000</Item><Item Sku=\"OIL-1L\" Quantity=\"1\">45000</Item></Items>" +
    "<Channel>app</Channel><Device>dev-7f3a9c2e</Device><AppVersion>2.14.1</AppVersion>" +
    "</Payment></Body>" +
    `<Confidential><Pin>${PIN}</Pin><Msisdn>+254700123456</Msisdn><Otp>913377</Otp></Confidential>` +
    "</Message>"
  );
}

/** The message with an empty ds:Signature last, for libxmlsec1 to fill (what `xmlsec1 --sign` takes). */
function signatureTemplate(message: string): string {
  const id = /^<Message [^>]*\bId="([^"]+)"/.exec(message)?.[1];
  if (id === undefined) throw new Error("the message has no Id");
  const template =
    `<ds:Signature xmlns:ds="${DSIG}"><ds:SignedInfo>` +
    `<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
    `<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>` +
    `<ds:Reference URI="#${id}"><ds:Transforms>` +
    `<ds:Transform Algorithm="${DSIG}enveloped-signature"/>` +
    `<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>` +
    `</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:KeyName/></ds:KeyInfo></ds:Signature>`;
  return message.replace(/<\/Message>$/, `${template}</Message>`);
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, "utf8");

// ── measuring ───────────────────────────────────────────────────────────────────────────────────────────────
/** Runs `operation` for WARMUP_SECONDS untimed, then for BENCH_SECONDS, timing every call. */
async function measure(operation: Operation, implementation: Implementation, what: string, run: () => unknown): Promise<Row> {
  log(`${operation} · ${implementationNames[implementation]}: ${what}; warm-up ${WARMUP_SECONDS} s, then ${BENCH_SECONDS} s`);
  const warmupEnd = performance.now() + WARMUP_SECONDS * 1000;
  while (performance.now() < warmupEnd) await run();
  const samples = new Samples();
  const startedAt = performance.now();
  const deadline = startedAt + BENCH_SECONDS * 1000;
  let now = startedAt;
  while (now < deadline) {
    await run();
    const after = performance.now();
    samples.push(after - now);
    now = after;
  }
  const sorted = samples.sorted();
  const row: Row = {
    operation,
    implementation,
    what,
    operations: samples.length,
    perSecond: samples.length / ((now - startedAt) / 1000),
    p50Us: percentile(sorted, 50) * 1000,
    p99Us: percentile(sorted, 99) * 1000,
  };
  log(`  → ${formatRate(row.perSecond)}/s (${samples.length} operations, p50 ${row.p50Us.toFixed(0)} µs)`);
  return row;
}

/** The libxmlsec1 harness: a short calibration run sizes warm-up and iterations to the phase lengths. */
function measureXmlsec(harness: Harness, operation: HarnessOperation, what: string, input: string, keyFile: string): Row {
  log(`${operation} · ${implementationNames.xmlsec}: ${what}; calibrating`);
  const calibration = harness.run(operation, input, keyFile, CALIBRATION_WARMUP, CALIBRATION_ITERATIONS);
  const meanSeconds = calibration.totalNs / 1e9 / calibration.iterations;
  const warmup = Math.ceil(WARMUP_SECONDS / meanSeconds);
  const iterations = Math.max(1, Math.ceil(BENCH_SECONDS / meanSeconds));
  log(`  ${warmup} warm-up + ${iterations} timed iterations inside the harness (about ${WARMUP_SECONDS} s + ${BENCH_SECONDS} s)`);
  const result: HarnessResult = harness.run(operation, input, keyFile, warmup, iterations);
  const row: Row = {
    operation,
    implementation: "xmlsec",
    what,
    operations: result.iterations,
    perSecond: result.iterations / (result.totalNs / 1e9),
    p50Us: result.p50Ns / 1000,
    p99Us: result.p99Ns / 1000,
  };
  log(`  → ${formatRate(row.perSecond)}/s (${result.iterations} operations, p50 ${row.p50Us.toFixed(0)} µs)`);
  return row;
}

function formatRate(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function printTable(rows: readonly Row[]): void {
  const find = (operation: Operation, implementation: Implementation) =>
    rows.find((r) => r.operation === operation && r.implementation === implementation);
  const ratio = (row: Row, reference: Row | undefined) => (reference === undefined ? "-" : `${(row.perSecond / reference.perSecond).toFixed(2)}×`);
  const header = ["operation", "implementation", "per s", "p50 µs", "p99 µs", "vs node:crypto raw", "vs libxmlsec1"];
  const cells: string[][] = [];
  for (const operation of operations) {
    for (const implementation of implementations) {
      const row = find(operation, implementation);
      if (row === undefined) continue;
      cells.push([
        operation,
        implementationNames[implementation],
        formatRate(row.perSecond),
        row.p50Us.toFixed(0),
        row.p99Us.toFixed(0),
        ratio(row, find(operation, "node")),
        ratio(row, find(operation, "xmlsec")),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd();
  console.log("");
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  let previous: string | undefined;
  for (const c of cells) {
    if (previous !== undefined && previous !== c[0]) console.log("");
    previous = c[0];
    console.log(line(c));
  }
  console.log("");
  for (const operation of operations) {
    const ours = find(operation, "obol");
    const peer = find(operation, "xmlsec");
    if (ours === undefined || peer === undefined) continue;
    const r = ours.perSecond / peer.perSecond;
    const verdict = r >= 1 ? `@obol/xml is ${r.toFixed(2)}× as fast as libxmlsec1` : `libxmlsec1 is ${(1 / r).toFixed(2)}× as fast as @obol/xml`;
    console.log(`${operation.padEnd(8)} ${verdict}`);
  }
  console.log("");
  console.log("per s: operations per second, one at a time on one thread. Ratios: this row's per s / the reference's per s");
  console.log("(above 1: faster than the reference). Every operation starts from XML text and, where it produces XML, ends in text:");
  for (const [name, text] of notes) console.log(`  ${name.padEnd(16)} ${text}`);
}

const notes: ReadonlyArray<readonly [string, string]> = [
  ["@obol/xml", "signEnveloped(text); verifySignature(parseXml(text)) incl. hardened scan, shape checks and the canonical"],
  ["", "re-parse it returns; encryptXml(text, Confidential, rsa-oaep) → text; decryptXml(text) → hardened parse of the result"],
  ["node:crypto raw", "sign/verify (sha256, P-256, ieee-p1363) of the unsigned message bytes; AES-256-GCM + RSA-OAEP (SHA-1)"],
  ["", "of the Confidential element's bytes and back. No XML: the ceiling"],
  ["libxmlsec1 (C)", "xmlReadMemory + xmlAddID + xmlSecDSigCtxSign → xmlDocDumpMemory; xmlReadMemory + xmlAddID +"],
  ["", "xmlSecDSigCtxVerify (status checked); template + xmlSecEncCtxXmlEncrypt → xmlDocDumpMemory; xmlSecEncCtxDecrypt"],
  ["", "(in place). Verify and decrypt read the very document @obol/xml produced"],
];

// ── correctness, before any timing ──────────────────────────────────────────────────────────────────────────
class BenchCheckFailed extends Error {}

function check(condition: boolean, message: string): void {
  if (!condition) throw new BenchCheckFailed(message);
}

/** Runs one step of the interoperability check; any failure becomes a BenchCheckFailed naming the step. */
async function step<T>(what: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new BenchCheckFailed(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function expectXmlError(run: () => unknown, code: string, what: string): Promise<void> {
  try {
    await run();
  } catch (error) {
    check(isXmlError(error) && error.code === code, `${what}: expected ${code}, got ${String(error)}`);
    return;
  }
  throw new BenchCheckFailed(`${what}: expected ${code}, but it succeeded`);
}

// ── main ────────────────────────────────────────────────────────────────────────────────────────────────────
async function main(): Promise<number> {
  console.log(`@obol/xml benchmark: sign, verify, encrypt, decrypt of a payment message, beside node:crypto raw and libxmlsec1`);
  console.log("(not run by CI; see packages/xml/bench/README.md)");

  let toolchain;
  try {
    toolchain = findToolchain();
  } catch (error) {
    if (error instanceof MissingToolchain) {
      console.error(`\nbench:xml cannot measure libxmlsec1, the reference it exists for. ${error.message}`);
      return 2;
    }
    throw error;
  }

  const work = mkdtempSync(join(tmpdir(), "obol-bench-xml-"));
  const onSignal = () => {
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    log(`building the libxmlsec1 harness (libxmlsec1 ${toolchain.xmlsecPkgVersion}, ${toolchain.gccVersion}) in ${work}`);
    let built;
    try {
      built = buildHarness(toolchain, work);
    } catch (error) {
      if (error instanceof MissingToolchain) {
        console.error(`\nbench:xml: ${error.message}`);
        return 2;
      }
      throw error;
    }
    log(`  ${built.command}`);
    const harness = new Harness(built.binary);
    const info = harness.info();

    const cores = cpus();
    log(
      `host: ${cores.length} cores (${cores[0]?.model.trim() ?? "unknown cpu"}; availableParallelism ${availableParallelism()}), ` +
        `${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform} ${release()} ${process.arch}`,
    );
    log(`Node ${process.version} with OpenSSL ${process.versions.openssl}; ` +
      `libxmlsec1 ${info.xmlsec} (${info.xmlsecCrypto}) with libxml2 ${info.libxml2} and ${info.openssl}`);

    // Keys: the same P-256 key signs on every side; RSA-2048 receives the content key.
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const pemFile = (name: string, key: KeyObject) => {
      const path = join(work, name);
      const pem = key.type === "private" ? key.export({ format: "pem", type: "pkcs8" }) : key.export({ format: "pem", type: "spki" });
      writeFileSync(path, pem, { mode: 0o600 });
      return path;
    };
    const files = {
      ecPrivate: pemFile("ec-private.pem", ec.privateKey),
      ecPublic: pemFile("ec-public.pem", ec.publicKey),
      rsaPrivate: pemFile("rsa-private.pem", rsa.privateKey),
      rsaPublic: pemFile("rsa-public.pem", rsa.publicKey),
    };
    const xmlFile = (name: string, text: string) => {
      const path = join(work, name);
      writeFileSync(path, text);
      return path;
    };

    // The message and what each side makes of it.
    const message = paymentMessage();
    const messageBytes = Buffer.from(message, "utf8");
    const confidentialText = /<Confidential>.*<\/Confidential>/.exec(message)?.[0] ?? "";
    const confidentialBytes = Buffer.from(confidentialText.replace("<Confidential>", `<Confidential xmlns="${MSG}">`), "utf8");
    const confidential = { namespaceUri: MSG, localName: "Confidential" };
    const random = (n: number) => new Uint8Array(randomBytes(n));
    const obolSign = () => signEnveloped(message, { privateKey: ec.privateKey, keyName: KEY_NAME });
    const obolVerify = (signed: string) => verifySignature(parseXml(signed), { trustedKey: ec.publicKey });
    const obolEncrypt = () =>
      encryptXml(message, confidential, { type: "element", keyTransport: { kind: "rsa-oaep", recipient: rsa.publicKey }, random });
    const obolDecrypt = (encrypted: string) => decryptXml(encrypted, { privateKey: rsa.privateKey });

    const ourSigned = await obolSign();
    const ourEncrypted = await obolEncrypt();
    const docs = {
      template: xmlFile("template.xml", signatureTemplate(message)),
      message: xmlFile("message.xml", message),
      ourSigned: xmlFile("signed-obol.xml", ourSigned),
      ourEncrypted: xmlFile("encrypted-obol.xml", ourEncrypted),
      tampered: xmlFile("signed-obol-tampered.xml", ourSigned.replace(">125000<", ">925000<")),
    };

    // ── correctness both ways, once, before timing ──
    log("checking interoperability before timing");
    check(ourSigned.includes(">125000<"), "the signed message lost its amount");
    await step("libxmlsec1 verifying the signature @obol/xml made", () => harness.run("verify", docs.ourSigned, files.ecPublic, 0, 1));
    log("  libxmlsec1 verifies the signature @obol/xml made");
    const xmlsecSignedFile = join(work, "signed-xmlsec.xml");
    await step("libxmlsec1 signing the template", () => harness.run("sign", docs.template, files.ecPrivate, 0, 1, xmlsecSignedFile));
    const xmlsecSigned = readFileSync(xmlsecSignedFile, "utf8");
    const verifiedXmlsec = await step("@obol/xml verifying the signature libxmlsec1 made", () => obolVerify(xmlsecSigned));
    check(verifiedXmlsec.algorithm === "ecdsa-sha256" && verifiedXmlsec.signerHint.keyName === KEY_NAME,
      "@obol/xml verified the libxmlsec1 signature, but not as ecdsa-sha256 with its KeyName");
    log("  @obol/xml verifies the signature libxmlsec1 made");
    const tamperedRun = harness.tryRun("verify", docs.tampered, files.ecPublic, 0, 1);
    check(!tamperedRun.ok && /INVALID/.test(tamperedRun.stderr), `libxmlsec1 did not refuse a tampered amount: ${tamperedRun.ok ? "it verified" : tamperedRun.stderr}`);
    await expectXmlError(() => obolVerify(readFileSync(docs.tampered, "utf8")), "ERR_XML_SIGNATURE_INVALID", "@obol/xml on a tampered amount");
    log("  both refuse the signed message with its amount changed");
    check(!ourEncrypted.includes("<Pin>"), "the encrypted message still shows the PIN");
    const decryptedByXmlsecFile = join(work, "decrypted-xmlsec.xml");
    await step("libxmlsec1 decrypting what @obol/xml encrypted", () => harness.run("decrypt", docs.ourEncrypted, files.rsaPrivate, 0, 1, decryptedByXmlsecFile));
    check(readFileSync(decryptedByXmlsecFile, "utf8").includes(`<Pin>${PIN}</Pin>`), "libxmlsec1 decrypted our message, but the PIN is not there");
    log("  libxmlsec1 decrypts what @obol/xml encrypted");
    const xmlsecEncryptedFile = join(work, "encrypted-xmlsec.xml");
    await step("libxmlsec1 encrypting the message", () => harness.run("encrypt", docs.message, files.rsaPublic, 0, 1, xmlsecEncryptedFile));
    const xmlsecEncrypted = readFileSync(xmlsecEncryptedFile, "utf8");
    check(xmlsecEncrypted.includes("xmlenc11#aes256-gcm") && xmlsecEncrypted.includes("rsa-oaep-mgf1p") && !xmlsecEncrypted.includes("<Pin>"),
      "libxmlsec1's EncryptedData is not AES-256-GCM + rsa-oaep-mgf1p");
    const pinOf = (parsed: { root: Element }) => parsed.root.getElementsByTagNameNS(MSG, "Pin")[0]?.textContent;
    check(await step("@obol/xml decrypting what libxmlsec1 encrypted", async () => pinOf(await obolDecrypt(xmlsecEncrypted))) === PIN,
      "@obol/xml decrypted libxmlsec1's message, but the PIN is not there");
    check(await step("@obol/xml decrypting its own message", async () => pinOf(await obolDecrypt(ourEncrypted))) === PIN, "@obol/xml cannot decrypt its own message");
    log("  @obol/xml decrypts what libxmlsec1 encrypted");
    const rawSignature = sign("sha256", messageBytes, { key: ec.privateKey, dsaEncoding: "ieee-p1363" });
    check(verify("sha256", messageBytes, { key: ec.publicKey, dsaEncoding: "ieee-p1363" }, rawSignature), "node:crypto raw verify failed");

    log(
      `message: ${messageBytes.length} bytes unsigned (what node:crypto raw signs); signed ${utf8Bytes(ourSigned)} bytes by @obol/xml, ` +
        `${utf8Bytes(xmlsecSigned)} by libxmlsec1; encrypted ${utf8Bytes(ourEncrypted)} bytes by @obol/xml, ` +
        `${utf8Bytes(xmlsecEncrypted)} by libxmlsec1 (Confidential element: ${confidentialBytes.length} bytes of plaintext)`,
    );

    // node:crypto raw encryption: what XML Encryption does, minus the XML.
    const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" };
    const rawEncrypt = () => {
      const key = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const ciphertext = Buffer.concat([iv, cipher.update(confidentialBytes), cipher.final(), cipher.getAuthTag()]);
      return { wrapped: publicEncrypt({ key: rsa.publicKey, ...oaep }, key), ciphertext };
    };
    const rawDecrypt = (sealed: { wrapped: Buffer; ciphertext: Buffer }) => {
      const key = privateDecrypt({ key: rsa.privateKey, ...oaep }, sealed.wrapped);
      const iv = sealed.ciphertext.subarray(0, 12);
      const tag = sealed.ciphertext.subarray(sealed.ciphertext.length - 16);
      const decipher = createDecipheriv("aes-256-gcm", key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(sealed.ciphertext.subarray(12, sealed.ciphertext.length - 16)), decipher.final()]);
    };
    const rawSealed = rawEncrypt();
    check(rawDecrypt(rawSealed).equals(confidentialBytes), "node:crypto raw AES-GCM + RSA-OAEP round trip failed");

    // ── timing ──
    const rows: Row[] = [];
    rows.push(await measure("sign", "obol", "signEnveloped", () => obolSign()));
    rows.push(await measure("sign", "node", "crypto.sign sha256 P-256", () => void sign("sha256", messageBytes, { key: ec.privateKey, dsaEncoding: "ieee-p1363" })));
    rows.push(measureXmlsec(harness, "sign", "parse template, sign, serialize", docs.template, files.ecPrivate));

    rows.push(await measure("verify", "obol", "parseXml + verifySignature", () => obolVerify(ourSigned)));
    rows.push(await measure("verify", "node", "crypto.verify sha256 P-256", () => {
      if (!verify("sha256", messageBytes, { key: ec.publicKey, dsaEncoding: "ieee-p1363" }, rawSignature)) throw new Error("raw verify failed");
    }));
    rows.push(measureXmlsec(harness, "verify", "parse, verify", docs.ourSigned, files.ecPublic));

    rows.push(await measure("encrypt", "obol", "encryptXml aes256-gcm + rsa-oaep-mgf1p", () => obolEncrypt()));
    rows.push(await measure("encrypt", "node", "AES-256-GCM + RSA-OAEP publicEncrypt", () => void rawEncrypt()));
    rows.push(measureXmlsec(harness, "encrypt", "parse, template, encrypt, serialize", docs.message, files.rsaPublic));

    rows.push(await measure("decrypt", "obol", "decryptXml", () => obolDecrypt(ourEncrypted)));
    rows.push(await measure("decrypt", "node", "RSA-OAEP privateDecrypt + AES-256-GCM", () => void rawDecrypt(rawSealed)));
    rows.push(measureXmlsec(harness, "decrypt", "parse, decrypt", docs.ourEncrypted, files.rsaPrivate));

    printTable(rows);
    console.log("");
    log(`done (${BENCH_SECONDS} s per phase; not run by CI)`);
    return 0;
  } catch (error) {
    if (error instanceof BenchCheckFailed) {
      console.error(`\nbench:xml: CORRECTNESS CHECK FAILED, nothing was timed: ${error.message}`);
      return 1;
    }
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error("bench:xml failed:", error);
    process.exit(1);
  },
);
