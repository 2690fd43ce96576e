/**
 * Hostile input for every SVS1-M parser and handler: random bytes, truncations, trailing bytes, wrong
 * version/type, out-of-range fields, and fast-check mutations of real messages. A parser either returns or
 * throws SvsEncodingError with a stable code; a handler never throws and changes nothing.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { isSvsEncodingError, merchant, messageBytesMax, messages, platform, wallet } from "../src/index.js";
import { i2osp } from "../src/bytes.js";
import { writeFields, writeMessage } from "../src/encoding/fields.js";
import { fuzzParameters } from "./support/fuzz.js";
import { ID_P, T0, catalogue, makeWorld, payOnce, unwrap, withdraw } from "./support/world.js";

const world0 = withdraw(makeWorld("hostile"), 100n);
const paid = payOnce(world0.world, world0.sn, 10n, T0 + 1);
const paid2 = payOnce(paid.world, world0.sn, 10n, T0 + 2);
const world = paid2.world;
const d1 = unwrap(merchant.startDeposit(world.p, T0 + 3, world.rng));
const dep = unwrap(platform.handleD1(world.config, world.n, d1.request, T0 + 3, world.rng));
const d3 = unwrap(wallet.answerConfirmation(world.u, dep.confirmations[0]!.d2, "ACCEPT", T0 + 4, world.rng));
const enrolment = unwrap(wallet.startWalletEnrolment(wallet.emptyWalletState(), world.params, "dave", world.rng));
const r3 = unwrap(platform.handleR1(world.config, world.n, enrolment.request, { id: "dave", role: "U", account: "d", notAfterMs: T0 + 1e9 }, T0, world.rng)).reply;
const w1 = unwrap(wallet.startWithdrawal(world.u, { amount: 5n, payee: ID_P }, T0, world.rng)).request;
const w2 = unwrap(platform.handleW1(world.config, world.n, w1, { now: T0, rng: world.rng, availableBalance: 9n })).reply;

/** A valid sample of every message type, with its parser. */
const samples: { name: string; bytes: Uint8Array; parse: (b: Uint8Array) => unknown }[] = [
  { name: "R1", bytes: enrolment.request, parse: messages.parseR1 },
  { name: "R3", bytes: r3, parse: messages.parseR3 },
  { name: "A1", bytes: wallet.makeLoginProof(world.u.credential!, T0, world.rng), parse: messages.parseA1 },
  { name: "W1", bytes: w1, parse: messages.parseW1 },
  { name: "W2", bytes: w2, parse: messages.parseW2 },
  { name: "P1", bytes: paid.request, parse: messages.parseP1 },
  { name: "P2", bytes: paid.reply, parse: messages.parseP2 },
  { name: "Pj", bytes: paid2.request, parse: messages.parsePj },
  { name: "Pj'", bytes: paid2.reply, parse: messages.parsePjReply },
  { name: "D1", bytes: d1.request, parse: messages.parseD1 },
  { name: "D2", bytes: dep.confirmations[0]!.d2, parse: messages.parseD2 },
  { name: "D3", bytes: d3.request, parse: messages.parseD3 },
  { name: "D4", bytes: dep.reply, parse: messages.parseD4 },
];

function codeOf(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    if (!isSvsEncodingError(error)) throw error;
    return error.code;
  }
}

describe("hostile input: parsers", () => {
  it("every sample parses, and re-encodes to the same bytes", () => {
    const encoders: Record<string, (m: never) => Uint8Array> = {
      R1: messages.encodeR1, R3: messages.encodeR3, A1: messages.encodeA1, W1: messages.encodeW1, W2: messages.encodeW2,
      P1: messages.encodeP1, P2: messages.encodeP2, Pj: messages.encodePj, "Pj'": messages.encodePjReply, D1: messages.encodeD1,
      D2: messages.encodeD2, D3: messages.encodeD3, D4: messages.encodeD4,
    };
    for (const sample of samples) {
      assert.equal(messages.messageNameOf(sample.bytes), sample.name === "Pj'" ? "PjReply" : sample.name);
      assert.deepEqual(encoders[sample.name]!(sample.parse(sample.bytes) as never), sample.bytes, sample.name);
    }
  });

  it("every truncation, a trailing byte, another version or type, and an oversized input are refused with a stable code", () => {
    for (const sample of samples) {
      for (let length = 0; length < sample.bytes.byteLength; length++) {
        const code = codeOf(() => sample.parse(sample.bytes.subarray(0, length)));
        assert.ok(code === "ERR_SVS_ENCODING_TRUNCATED" || code === "ERR_SVS_ENCODING_LENGTH", `${sample.name} cut at ${length}: ${code}`);
      }
      assert.equal(codeOf(() => sample.parse(Uint8Array.from([...sample.bytes, 0]))), "ERR_SVS_ENCODING_TRAILING", sample.name);
      assert.equal(codeOf(() => sample.parse(Uint8Array.from([0x02, ...sample.bytes.subarray(1)]))), "ERR_SVS_ENCODING_VERSION");
      assert.equal(codeOf(() => sample.parse(Uint8Array.from([0x01, 0x7f, ...sample.bytes.subarray(2)]))), "ERR_SVS_ENCODING_TYPE");
      assert.equal(codeOf(() => sample.parse(new Uint8Array(messageBytesMax + 1))), "ERR_SVS_ENCODING_TOO_LARGE");
    }
  });

  it("out-of-range fields: empty or 256-byte IDs, bad UTF-8, zero amounts, times past 2^53, j = 0 in Pj, unknown role", () => {
    const a1 = messages.parseA1(samples[2]!.bytes);
    const a1With = (idX: Uint8Array, t = i2osp(a1.tMs, 8)) => writeMessage(messages.MessageType.A1, [idX, a1.vX, t, a1.nonce, a1.tag]);
    assert.equal(codeOf(() => messages.parseA1(a1With(new Uint8Array(0)))), "ERR_SVS_ENCODING_LENGTH");
    assert.equal(codeOf(() => messages.parseA1(a1With(new Uint8Array(256).fill(0x61)))), "ERR_SVS_ENCODING_LENGTH");
    assert.equal(codeOf(() => messages.parseA1(a1With(new Uint8Array(255).fill(0x61)))), null);
    assert.equal(codeOf(() => messages.parseA1(a1With(Uint8Array.of(0xc3, 0x28)))), "ERR_SVS_ENCODING_VALUE");
    assert.equal(codeOf(() => messages.parseA1(a1With(Uint8Array.of(0x61), i2osp(2n ** 53n, 8)))), "ERR_SVS_ENCODING_VALUE");
    const w = messages.parseW1(w1);
    assert.equal(codeOf(() => messages.parseW1(messages.encodeW1({ ...w, amount: 0n }))), "ERR_SVS_ENCODING_VALUE");
    const pj = messages.parsePj(paid2.request);
    assert.equal(codeOf(() => messages.parsePj(messages.encodePj({ ...pj, j: 0 }))), "ERR_SVS_ENCODING_VALUE");
    const r1 = messages.parseR1(enrolment.request);
    const badRole = writeMessage(messages.MessageType.R1, [r1.idX, "X", r1.rX, r1.popCommitment, r1.popResponse]);
    assert.equal(codeOf(() => messages.parseR1(badRole)), "ERR_SVS_ENCODING_VALUE");
    // structures inside AEAD plaintexts
    assert.equal(codeOf(() => messages.parseDepositBatch(new Uint8Array(0))), "ERR_SVS_ENCODING_LENGTH");
    assert.equal(codeOf(() => messages.parseD4Body(writeFields([writeFields([writeFields([new Uint8Array(16), Uint8Array.of(9), new Uint8Array(8)])]), new Uint8Array(8)]))), "ERR_SVS_ENCODING_VALUE");
    assert.equal(codeOf(() => messages.parseTau(Uint8Array.of(0, 1, 2))), "ERR_SVS_ENCODING_VERSION");
    assert.equal(codeOf(() => messages.parsePaymentReplyBody(writeFields([Uint8Array.of(1), Uint8Array.of(0), new Uint8Array(4), new Uint8Array(8), new Uint8Array(0)]))), "ERR_SVS_ENCODING_VALUE");
  });

  it("fast-check: random bytes and mutations of real messages either parse or fail with an SvsEncodingError", () => {
    const parsers = [
      ...samples.map((s) => s.parse),
      messages.parseTau,
      messages.parseW2Body,
      (b: Uint8Array) => messages.parsePaymentBody(b, true),
      (b: Uint8Array) => messages.parsePaymentBody(b, false),
      messages.parsePaymentReplyBody,
      messages.parseDepositBatch,
      messages.parseD2Body,
      messages.parseD3Body,
      messages.parseD4Body,
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(parsers.length - 1), (bytes, index) => {
        codeOf(() => parsers[index]!(bytes));
      }),
      fuzzParameters,
    );
    const mutation = fc.record({
      sample: fc.nat(samples.length - 1),
      at: fc.nat(),
      kind: fc.constantFrom("flip", "insert", "delete", "set-length"),
      value: fc.integer({ min: 0, max: 255 }),
    });
    fc.assert(
      fc.property(mutation, ({ sample, at, kind, value }) => {
        const { bytes, parse } = samples[sample]!;
        const i = at % bytes.byteLength;
        const m = Array.from(bytes);
        if (kind === "flip") m[i] = (m[i] as number) ^ (1 << (value % 8));
        if (kind === "insert") m.splice(i, 0, value);
        if (kind === "delete") m.splice(i, 1);
        if (kind === "set-length") m[i] = value;
        codeOf(() => parse(Uint8Array.from(m)));
      }),
      fuzzParameters,
    );
  });
});

describe("hostile input: handlers never throw and change nothing", () => {
  it("fast-check: random bytes and mutated messages to every handler of N, U and P", () => {
    const io = { now: T0 + 5, rng: world.rng, catalogue };
    const handlers: ((bytes: Uint8Array) => { ok: boolean; state: unknown; before: unknown })[] = [
      (b) => ({ ...platform.handleR1(world.config, world.n, b, { id: "dave", role: "U", account: "d", notAfterMs: T0 + 1e9 }, T0, world.rng), before: world.n }),
      (b) => ({ ...platform.handleA1(world.config, world.n, b, T0), before: world.n }),
      (b) => ({ ...platform.handleW1(world.config, world.n, b, { now: T0, rng: world.rng, availableBalance: 10n }), before: world.n }),
      (b) => ({ ...platform.handleD1(world.config, world.n, b, T0 + 3, world.rng), before: world.n }),
      (b) => ({ ...platform.handleD3(world.config, dep.state, b, T0 + 4), before: dep.state }),
      (b) => ({ ...merchant.handlePayment(world.p, b, io), before: world.p }),
      (b) => ({ ...merchant.handleD4(d1.state, b, T0 + 4), before: d1.state }),
      (b) => ({ ...wallet.handleW2(world.u, "00", b, T0), before: world.u }),
      (b) => ({ ...wallet.answerConfirmation(world.u, b, "ACCEPT", T0, world.rng), before: world.u }),
      (b) => ({ ...wallet.finishWalletEnrolment(enrolment.state, b, T0), before: { ...enrolment.state, enrolment: null } }),
    ];
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 400 }),
      fc.record({ sample: fc.nat(samples.length - 1), bit: fc.nat() }).map(({ sample, bit }) => {
        const bytes = Uint8Array.from(samples[sample]!.bytes);
        const i = Math.floor(bit / 8) % bytes.byteLength;
        bytes[i] = (bytes[i] as number) ^ (1 << (bit % 8));
        return bytes;
      }),
    );
    fc.assert(
      fc.property(input, fc.nat(handlers.length - 1), (bytes, index) => {
        const outcome = handlers[index]!(bytes);
        if (!outcome.ok) assert.deepEqual(outcome.state, outcome.before);
      }),
      { ...fuzzParameters, numRuns: Math.max(50, Math.floor(fuzzParameters.numRuns / 10)) },
    );
  });
});
