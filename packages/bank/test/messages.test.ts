// The bank channel's message formats: every builder round-trips through its reader (property tests),
// and every reader refuses hostile content with ERR_BANK_MESSAGE_MALFORMED.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { readNodes, serializeNodes, parseXml, type XmlNode } from "@obol/xml";
import {
  buildLinkConfirmation, buildLinkReport, buildLinkRequest, buildMessageReject, buildPaymentInstruction, buildReversalRequest, buildStatement,
  buildStatementRequest, buildStatusReport, buildStatusRequest, isBankMessageError, readLinkConfirmation, readLinkReport, readLinkRequest,
  readMessageReject, readPaymentInstruction, readReversalRequest, readStatement, readStatementRequest, readStatusReport, readStatusRequest,
  type PaymentInstruction, type Statement, type StatusReport,
} from "../src/messages/index.js";

/** fast-check builds records without a prototype; compare them as plain data. */
function same(actual: unknown, expected: unknown): void {
  assert.deepEqual(actual, structuredClone(expected));
}

/** What a receiver gets: the nodes as @obol/xml reads them back from serialized XML. */
function wire(nodes: ReadonlyArray<XmlNode | string>): Array<XmlNode | string> {
  const parsed = parseXml(`<Body xmlns="urn:obol:msg:1">${serializeNodes(nodes)}</Body>`);
  return readNodes(parsed.root);
}

const reference = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,34}$/);
const account = fc.stringMatching(/^[A-Z0-9]{6,34}$/);
const amount = fc.bigInt({ min: 1n, max: (1n << 63n) - 1n });
const currency = fc.constantFrom("KES", "USD", "EUR", "JPY");
const instant = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2099-12-31T23:59:59Z"), noInvalidDate: true }).map((d) => d.toISOString());
const narrative = fc.string({ minLength: 1, maxLength: 140, unit: "grapheme" }).filter((s) => /^[^\u0000-\u001f\u007f]{1,140}$/.test(s) && !/[\u0085\u2028\ud800-\udfff\ufffe\uffff]/.test(s));
const uuid = fc.uuid({ version: 4 });

const instruction: fc.Arbitrary<PaymentInstruction> = fc.record({
  direction: fc.constantFrom("debit" as const, "credit" as const), header: fc.record({ msgId: reference, createdAt: instant }),
  endToEndId: reference, amount, currency, remittance: narrative, customerAccount: account, mandateId: reference,
});

test("payment instructions round-trip (pain.008 debits, pain.001 credits)", () => {
  fc.assert(fc.property(instruction, (p) => {
    const built = buildPaymentInstruction(p);
    same(readPaymentInstruction(p.direction, wire(built.body), wire(built.confidential)), p);
  }), { numRuns: 300 });
});

test("status reports, status requests and reversals round-trip (pacs.002, pacs.028, pacs.007)", () => {
  const report: fc.Arbitrary<StatusReport> = fc.oneof(
    fc.record({ header: fc.record({ msgId: reference, createdAt: instant }), inReplyTo: uuid, originalMsgId: reference, originalMessageName: fc.constantFrom("pain.008" as const, "pain.001" as const), originalEndToEndId: reference, status: fc.constant("ACSC" as const), reason: fc.constant(undefined), acceptedAt: instant, bankReference: reference, amount, currency, reversal: fc.constant(undefined) }),
    fc.record({ header: fc.record({ msgId: reference, createdAt: instant }), inReplyTo: uuid, originalMsgId: reference, originalMessageName: fc.constant("pacs.007" as const), originalEndToEndId: reference, status: fc.constant("ACSC" as const), reason: fc.constant(undefined), acceptedAt: instant, bankReference: reference, amount, currency, reversal: fc.constantFrom("RVSD" as const, "CNCL" as const, "ORJT" as const) }),
    fc.record({ header: fc.record({ msgId: reference, createdAt: instant }), inReplyTo: uuid, originalMsgId: reference, originalMessageName: fc.constant(undefined), originalEndToEndId: reference, status: fc.constant("RJCT" as const), reason: fc.stringMatching(/^[A-Z0-9]{4}$/), acceptedAt: fc.constant(undefined), bankReference: fc.constant(undefined), amount: fc.constant(undefined), currency: fc.constant(undefined), reversal: fc.constant(undefined) }),
    fc.record({ header: fc.record({ msgId: reference, createdAt: instant }), inReplyTo: uuid, originalMsgId: reference, originalMessageName: fc.constant(undefined), originalEndToEndId: reference, status: fc.constant("NTFD" as const), reason: fc.constant(undefined), acceptedAt: fc.constant(undefined), bankReference: fc.constant(undefined), amount: fc.constant(undefined), currency: fc.constant(undefined), reversal: fc.constant(undefined) }),
  );
  fc.assert(fc.property(report, (r) => same(readStatusReport(wire(buildStatusReport(r))), r)), { numRuns: 300 });
  fc.assert(fc.property(fc.record({ header: fc.record({ msgId: reference, createdAt: instant }), originalMsgId: reference, originalEndToEndId: reference }), (r) => {
    same(readStatusRequest(wire(buildStatusRequest(r))), r);
  }));
  fc.assert(fc.property(fc.record({ header: fc.record({ msgId: reference, createdAt: instant }), originalMsgId: reference, originalEndToEndId: reference, amount, currency, reason: fc.stringMatching(/^[A-Z0-9]{4}$/) }), (r) => {
    same(readReversalRequest(wire(buildReversalRequest(r))), r);
  }));
});

test("statement requests and statements round-trip (camt.060, camt.053); balances must add up", () => {
  const entry = fc.record({
    amount: fc.bigInt({ min: 1n, max: 1n << 40n }), side: fc.constantFrom("CRDT" as const, "DBIT" as const), bookedAt: instant, bankReference: reference,
    msgId: fc.option(reference, { nil: undefined }), endToEndId: fc.option(reference, { nil: undefined }), remittance: fc.option(narrative, { nil: undefined }),
  });
  const statement: fc.Arbitrary<Statement> = fc.record({
    header: fc.record({ msgId: reference, createdAt: instant }), inReplyTo: uuid, currency, opening: fc.bigInt({ min: -(1n << 50n), max: 1n << 50n }),
    entries: fc.array(entry, { maxLength: 50 }), lastPage: fc.boolean(), accountNumber: account, holderName: fc.constantFrom("Obol settlement", "Ä ß 東京"),
  }).map(({ opening, entries, ...rest }) => {
    const numbered = entries.map((e, i) => ({ ...e, entryRef: BigInt(i * 3 + 1) }));
    const closing = numbered.reduce((sum, e) => sum + (e.side === "CRDT" ? e.amount : -e.amount), opening);
    return { ...rest, openingBalance: opening, closingBalance: closing, entries: numbered };
  });
  fc.assert(fc.property(statement, (s) => {
    const built = buildStatement(s);
    same(readStatement(wire(built.body), wire(built.confidential)), s);
  }), { numRuns: 100 });
  const s = fc.sample(statement.filter((x) => x.entries.length > 0), 1)[0]!;
  const lying = buildStatement({ ...s, closingBalance: s.closingBalance + 1n });
  assert.throws(() => readStatement(wire(lying.body), wire(lying.confidential)), isBankMessageError, "CLBD must equal OPBD plus the entries");
  fc.assert(fc.property(fc.record({ header: fc.record({ msgId: reference, createdAt: instant }), currency, afterEntry: fc.bigInt({ min: 0n, max: 1n << 60n }), entriesMax: fc.integer({ min: 1, max: 50 }) }), (r) => {
    same(readStatementRequest(wire(buildStatementRequest(r))), r);
  }));
});

test("link messages and message rejects round-trip (acmt.023, acmt.024, admi.002)", () => {
  const header = { msgId: "M1", createdAt: "2026-11-21T10:00:00.000Z" };
  const byMsisdn = { header, linkId: "L1", currency: "KES", accountNumber: "RB0000000001", msisdn: "+254700000001", holderName: undefined };
  const built = buildLinkRequest(byMsisdn);
  assert.deepEqual(readLinkRequest(wire(built.body), wire(built.confidential)), byMsisdn);
  const byName = { header, linkId: "L2", currency: "KES", accountNumber: "RB0000000001", msisdn: undefined, holderName: "Demo Coffee Ltd" };
  const builtByName = buildLinkRequest(byName);
  assert.deepEqual(readLinkRequest(wire(builtByName.body), wire(builtByName.confidential)), byName);
  const confirmation = buildLinkConfirmation({ header, linkId: "L1", code: "012345" });
  assert.deepEqual(readLinkConfirmation(wire(confirmation.body), wire(confirmation.confidential)), { header, linkId: "L1", code: "012345" });
  const inReplyTo = "8c742fa7-e5d8-42f7-99f0-7a4016eb729a";
  for (const report of [
    { header, inReplyTo, linkId: "L1", status: "PDNG" as const, reason: undefined, attemptsLeft: 5, mandateId: undefined, holderName: undefined },
    { header, inReplyTo, linkId: "L1", status: "ACTV" as const, reason: undefined, attemptsLeft: undefined, mandateId: "MD01", holderName: "Amina" },
    { header, inReplyTo, linkId: "L1", status: "RJCT" as const, reason: "CDWR", attemptsLeft: 3, mandateId: undefined, holderName: undefined },
  ]) {
    const b = buildLinkReport(report);
    assert.deepEqual(readLinkReport(wire(b.body), b.confidential === undefined ? undefined : wire(b.confidential)), report);
  }
  const reject = { header, inReplyTo, reason: "STALE" as const, description: "Timestamp is 300000 ms away" };
  assert.deepEqual(readMessageReject(wire(buildMessageReject(reject))), reject);
});

/** Every hostile variant must be refused with the bank's own error, never accepted, never a crash. */
function refused(name: string, read: () => unknown): void {
  assert.throws(read, (error: unknown) => isBankMessageError(error), name);
}

test("hostile payment instructions are refused with ERR_BANK_MESSAGE_MALFORMED", () => {
  const p: PaymentInstruction = {
    direction: "debit", header: { msgId: "D1", createdAt: "2026-11-21T10:00:00.000Z" }, endToEndId: "E1", amount: 1250n, currency: "KES",
    remittance: "Top-up", customerAccount: "RB0000000001", mandateId: "MD1",
  };
  const { body, confidential } = buildPaymentInstruction(p);
  const xml = serializeNodes(body);
  const cases: Array<[string, string, string?]> = [
    ["unknown element", xml.replace("<PmtMtd>", "<Extra>1</Extra><PmtMtd>")],
    ["elements swapped", xml.replace("<MsgId>D1</MsgId><CreDtTm>2026-11-21T10:00:00.000Z</CreDtTm>", "<CreDtTm>2026-11-21T10:00:00.000Z</CreDtTm><MsgId>D1</MsgId>")],
    ["duplicate amount", xml.replace(/(<InstdAmt[^>]*>1250<\/InstdAmt>)/, "$1$1")],
    ["amount zero", xml.replace(">1250</InstdAmt>", ">0</InstdAmt>").replace("<CtrlSum>1250</CtrlSum>", "<CtrlSum>0</CtrlSum>")],
    ["amount negative", xml.replace(">1250</InstdAmt>", ">-1250</InstdAmt>")],
    ["amount decimal", xml.replace(">1250</InstdAmt>", ">12.50</InstdAmt>")],
    ["amount with a space", xml.replace(">1250</InstdAmt>", "> 1250</InstdAmt>")],
    ["amount above 2^63-1", xml.replace(">1250</InstdAmt>", ">9223372036854775808</InstdAmt>").replace("<CtrlSum>1250</CtrlSum>", "<CtrlSum>9223372036854775808</CtrlSum>")],
    ["control sum differs", xml.replace("<CtrlSum>1250</CtrlSum>", "<CtrlSum>1251</CtrlSum>")],
    ["two transactions", xml.replace("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>")],
    ["currency lowercase", xml.replace('Ccy="KES"', 'Ccy="kes"')],
    ["currency missing", xml.replace(' Ccy="KES"', "")],
    ["extra attribute", xml.replace('Ccy="KES"', 'Ccy="KES" Scale="2"')],
    ["attribute on a leaf", xml.replace("<MsgId>", '<MsgId Ref="x">')],
    ["MsgId too long", xml.replace("<MsgId>D1</MsgId>", `<MsgId>${"A".repeat(36)}</MsgId>`)],
    ["MsgId with a space", xml.replace("<MsgId>D1</MsgId>", "<MsgId>D 1</MsgId>")],
    ["date without Z", xml.replace("10:00:00.000Z", "10:00:00.000+03:00")],
    ["credit method in a debit", xml.replace("<PmtMtd>DD</PmtMtd>", "<PmtMtd>TRF</PmtMtd>")],
    ["text between elements", xml.replace("<PmtInf>", "oops<PmtInf>")],
    ["nested element in a leaf", xml.replace("<EndToEndId>E1</EndToEndId>", "<EndToEndId><b>E1</b></EndToEndId>")],
    ["remittance too long", xml.replace("<Ustrd>Top-up</Ustrd>", `<Ustrd>${"x".repeat(141)}</Ustrd>`)],
    ["remittance with a control character", xml.replace("<Ustrd>Top-up</Ustrd>", "<Ustrd>Top&#x9;up</Ustrd>")],
    ["wrong root", xml.replace(/CstmrDrctDbtInitn/g, "CstmrCdtTrfInitn")],
  ];
  const confidentialXml = serializeNodes(confidential);
  cases.push(
    ["account lowercase", xml, confidentialXml.replace("RB0000000001", "rb0000000001")],
    ["account too short", xml, confidentialXml.replace("RB0000000001", "RB1")],
    ["debit without mandate", xml, confidentialXml.replace("<MndtId>MD1</MndtId>", "")],
    ["two accounts", xml, confidentialXml.replace("<Id>RB0000000001</Id>", "<Id>RB0000000001</Id><Id>RB0000000002</Id>")],
  );
  for (const [name, bodyXml, confXml] of cases) {
    refused(name, () => readPaymentInstruction("debit", wire(parseBody(bodyXml)), wire(parseBody(confXml ?? confidentialXml))));
  }
  refused("no confidential part", () => readPaymentInstruction("debit", wire(body), undefined));
  assert.deepEqual(readPaymentInstruction("debit", wire(body), wire(confidential)), p, "the unmodified message is accepted (control)");
});

test("hostile reports, statements and links are refused", () => {
  const header = { msgId: "B1", createdAt: "2026-11-21T10:00:00.000Z" };
  const inReplyTo = "8c742fa7-e5d8-42f7-99f0-7a4016eb729a";
  const accepted = serializeNodes(buildStatusReport({ header, inReplyTo, originalMsgId: "D1", status: "ACSC", acceptedAt: header.createdAt, bankReference: "RB1", amount: 5n, currency: "KES" }));
  refused("ACSC without a booking", () => readStatusReport(wire(parseBody(accepted.replace("<AcctSvcrRef>RB1</AcctSvcrRef>", "")))));
  refused("RJCT without a reason", () => readStatusReport(wire(parseBody(accepted.replace("<TxSts>ACSC</TxSts>", "<TxSts>RJCT</TxSts>")))));
  refused("unknown status", () => readStatusReport(wire(parseBody(accepted.replace("<TxSts>ACSC</TxSts>", "<TxSts>ACCP</TxSts>")))));
  refused("InRplyTo not a UUID", () => readStatusReport(wire(parseBody(accepted.replace(inReplyTo, "x")))));
  refused("reversal result on a rejection", () => readStatusReport(wire(parseBody(serializeNodes(buildStatusReport({ header, inReplyTo, originalMsgId: "D1", status: "RJCT", reason: "AM04" })).replace("</TxInfAndSts>", "<RvslRslt>RVSD</RvslRslt></TxInfAndSts>")))));
  const statement = buildStatement({ header, inReplyTo, currency: "KES", openingBalance: 0n, closingBalance: 5n, lastPage: true, accountNumber: "STOBOLKES", holderName: "x",
    entries: [{ entryRef: 2n, amount: 5n, side: "CRDT", bookedAt: header.createdAt, bankReference: "RB2" }] });
  const sx = serializeNodes(statement.body);
  refused("entries out of order", () => readStatement(wire(parseBody(sx.replace(/(<Ntry>.*<\/Ntry>)/, "$1$1"))), wire(statement.confidential)));
  refused("an entry in another currency", () => readStatement(wire(parseBody(sx.replace('<Amt Ccy="KES">5</Amt><CdtDbtInd>CRDT', '<Amt Ccy="USD">5</Amt><CdtDbtInd>CRDT'))), wire(statement.confidential)));
  refused("entry status not booked", () => readStatement(wire(parseBody(sx.replace("<Cd>BOOK</Cd>", "<Cd>PDNG</Cd>"))), wire(statement.confidential)));
  refused("statement without its account", () => readStatement(wire(statement.body), undefined));
  const link = buildLinkRequest({ header, linkId: "L1", currency: "KES", accountNumber: "RB0000000001", msisdn: "+254700000001" });
  const lx = serializeNodes(link.confidential);
  refused("both MSISDN and name", () => readLinkRequest(wire(link.body), wire(parseBody(lx.replace("</Msisdn>", "</Msisdn><Nm>x</Nm>")))));
  refused("MSISDN not E.164", () => readLinkRequest(wire(link.body), wire(parseBody(lx.replace("+254700000001", "0700000001")))));
  const code = buildLinkConfirmation({ header, linkId: "L1", code: "123456" });
  refused("code of five digits", () => readLinkConfirmation(wire(code.body), wire(parseBody(serializeNodes(code.confidential).replace("123456", "12345")))));
  refused("active link without its holder", () => readLinkReport(wire(buildLinkReport({ header, inReplyTo, linkId: "L1", status: "ACTV", holderName: "x" }).body), undefined));
});

function parseBody(xml: string): Array<XmlNode | string> {
  return readNodes(parseXml(`<Body xmlns="urn:obol:msg:1">${xml}</Body>`).root);
}
