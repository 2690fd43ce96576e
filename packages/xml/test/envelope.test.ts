import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  buildMessage,
  MemoryReplayGuard,
  openMessage,
  readNodes,
  signEnveloped,
  XmlError,
} from "../src/index.js";
import type { BuildMessageInput, OpenMessageOptions, SignerHint, TrustedKey, XmlErrorCode, XmlNode } from "../src/index.js";
import { identity } from "./support/identities.js";
import { DSIG, load, MSG, pieces, save } from "./support/xsw.js";

const device = identity("ec", "device");
const mallory = identity("ec", "mallory");
const legacy = identity("rsa", "legacy-device");
const platform = identity("rsa", "platform");
const random = (n: number) => new Uint8Array(randomBytes(n));
const now = new Date("2026-11-21T10:15:30.123Z");
const windowMs = 120_000;
const sessionKey = new Uint8Array(randomBytes(32));

const body: XmlNode[] = [
  {
    name: "Payment",
    children: [
      { name: "Amount", attributes: { Currency: "KES" }, children: ["1250"] },
      { name: "Payee", children: ["MER-556677 <Mama Mboga & Sons>"] },
      "\n",
    ],
  },
];

async function build(overrides: Partial<BuildMessageInput> = {}): Promise<string> {
  return (await buildMessage({
    type: "payment.confirm",
    body,
    confidential: { content: [{ name: "Pin", children: ["1234"] }], to: { certificate: platform.certificate } },
    signer: { privateKey: device.privateKey, keyName: "dev-7" },
    now,
    random,
    ...overrides,
  })).xml;
}

const directory: Record<string, TrustedKey> = { "dev-7": device.publicKey, mallory: mallory.publicKey, legacy: legacy.publicKey };

function options(overrides: Partial<OpenMessageOptions> = {}): OpenMessageOptions {
  return {
    trustedKeyFor: (hint: SignerHint) => (hint.keyName === undefined ? undefined : directory[hint.keyName]),
    now,
    replay: new MemoryReplayGuard({ now: () => now.getTime() }),
    decryptionKeys: { privateKey: platform.privateKey, resolveSessionKey: (name) => (name === "sess-1" ? sessionKey : undefined) },
    ...overrides,
  };
}

async function codeOf(run: () => Promise<unknown>): Promise<XmlErrorCode | "no error"> {
  try {
    await run();
    return "no error";
  } catch (error) {
    assert.ok(error instanceof XmlError, String(error));
    return error.code;
  }
}

/** Removes the signature, applies `edit` to the unsigned document, and signs again with `key`. */
async function resign(xml: string, edit: (doc: Document) => void, key = device, keyName = "dev-7"): Promise<string> {
  const doc = load(save(pieces(xml).unsigned));
  edit(doc);
  return await signEnveloped(save(doc), { privateKey: key.privateKey, keyName, allowRsaSha256: true });
}

describe("buildMessage / openMessage", () => {
  it("round-trips a signed message with an RSA-OAEP encrypted confidential part", async () => {
    const xml = await build();
    assert.ok(!xml.includes("1234"), "the PIN is not in clear");
    const opened = await openMessage(xml, options());
    assert.equal(opened.type, "payment.confirm");
    assert.equal(opened.timestamp.toISOString(), now.toISOString());
    assert.match(opened.messageId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(opened.id, `m-${opened.messageId}`);
    assert.deepEqual(readNodes(opened.body), body);
    assert.deepEqual(readNodes(opened.confidential as Element), [{ name: "Pin", children: ["1234"] }]);
    assert.equal(opened.signer.algorithm, "ecdsa-sha256");
    assert.equal(opened.signer.hint.keyName, "dev-7");
    assert.ok(opened.signedXml.includes("EncryptedData") && !opened.signedXml.includes("Signature>"));
  });

  it("round-trips with a named session key, without a confidential part, and from a legacy RSA device", async () => {
    const withSession = await build({ confidential: { content: ["secret"], to: { sessionKey: { name: "sess-1", key: sessionKey } } } });
    assert.deepEqual(readNodes((await openMessage(withSession, options())).confidential as Element), ["secret"]);
    const plain = await openMessage(await build({ confidential: undefined }), options());
    assert.equal(plain.confidential, undefined);
    const rsa = await build({ signer: { privateKey: legacy.privateKey, keyName: "legacy", allowRsaSha256: true } });
    assert.equal(await codeOf(async () => await openMessage(rsa, options())), "ERR_XML_ALGORITHM");
    assert.equal((await openMessage(rsa, options({ allowRsaSha256: true }))).signer.algorithm, "rsa-sha256");
  });

  it("hands the unsigned KeyInfo to trustedKeyFor as a hint; an unknown signer is refused", async () => {
    let seen: SignerHint | undefined;
    const xml = await build({ signer: { privateKey: device.privateKey, certificates: [device.certificate] } });
    await openMessage(xml, options({ trustedKeyFor: (hint) => ((seen = hint), device.certificate) }));
    assert.deepEqual(Buffer.from(seen?.certificates[0] ?? []), device.certificate.raw);
    assert.equal(await codeOf(async () => await openMessage(xml, options({ trustedKeyFor: () => undefined }))), "ERR_XML_SIGNATURE_INVALID");
    assert.equal(await codeOf(async () => await openMessage(xml, options({ trustedKeyFor: async () => mallory.publicKey }))), "ERR_XML_SIGNATURE_INVALID");
  });

  it("refuses invalid input to buildMessage", async () => {
    const bad = async (overrides: Partial<BuildMessageInput>) => {
      try {
        await build(overrides);
      } catch (error) {
        assert.ok(error instanceof XmlError);
        return error.code;
      }
      return "no error";
    };
    assert.equal(await bad({ type: "has space" }), "ERR_XML_MALFORMED");
    assert.equal(await bad({ body: [{ name: "Payment", attributes: { Id: "x" } }] }), "ERR_XML_MALFORMED");
    assert.equal(await bad({ body: [{ name: "Payment", attributes: { ID: "x" } }] }), "ERR_XML_MALFORMED");
    assert.equal(await bad({ body: [{ name: "p:Payment" }] }), "ERR_XML_MALFORMED");
    assert.equal(await bad({ body: ["\u0000"] }), "ERR_XML_MALFORMED");
    assert.equal(await bad({ now: new Date(Number.NaN) }), "ERR_XML_MALFORMED");
    assert.equal(await bad({ signer: { privateKey: legacy.privateKey } }), "ERR_XML_ALGORITHM");
  });
});

describe("openMessage: freshness and replay", () => {
  it(`accepts Timestamp within ±${windowMs} ms of now, refuses beyond as ERR_XML_STALE`, async () => {
    const xml = await build({ confidential: undefined });
    for (const delta of [-windowMs, 0, windowMs]) {
      assert.equal(await codeOf(async () => await openMessage(xml, options({ now: new Date(now.getTime() + delta) }))), "no error");
    }
    for (const delta of [-windowMs - 1, windowMs + 1, 86_400_000]) {
      assert.equal(await codeOf(async () => await openMessage(xml, options({ now: new Date(now.getTime() + delta) }))), "ERR_XML_STALE");
    }
    assert.equal(await codeOf(async () => await openMessage(xml, options({ now: new Date(now.getTime() + 5_000), freshnessWindowMs: 1_000 }))), "ERR_XML_STALE");
    for (const freshnessWindowMs of [0, 999, 3_600_001, 1.5]) {
      assert.equal(await codeOf(async () => await openMessage(xml, options({ freshnessWindowMs }))), "ERR_XML_LIMIT");
    }
  });

  it("refuses a replayed message, and another message reusing its Nonce or its MessageId", async () => {
    const replay = new MemoryReplayGuard({ now: () => now.getTime() });
    // Scripted randomness: buildMessage draws the MessageId (16 bytes) first, then the Nonce (16 bytes).
    const scripted = (id: number, nonce: number) => {
      const chunks = [new Uint8Array(16).fill(id), new Uint8Array(16).fill(nonce)];
      return (n: number) => chunks.shift() ?? random(n);
    };
    const a = await build({ confidential: undefined, random: scripted(1, 1) });
    const sameNonce = await build({ confidential: undefined, random: scripted(2, 1) });
    const sameMessageId = await build({ confidential: undefined, random: scripted(1, 2) });
    const fresh = await build({ confidential: undefined, random: scripted(3, 3) });
    assert.equal(await codeOf(async () => await openMessage(a, options({ replay }))), "no error");
    assert.equal(await codeOf(async () => await openMessage(a, options({ replay }))), "ERR_XML_REPLAY");
    assert.equal(await codeOf(async () => await openMessage(sameNonce, options({ replay }))), "ERR_XML_REPLAY");
    assert.equal(await codeOf(async () => await openMessage(sameMessageId, options({ replay }))), "ERR_XML_REPLAY");
    assert.equal(await codeOf(async () => await openMessage(fresh, options({ replay }))), "no error");
  });

  it("records nothing for a message that fails an earlier check (an invalid copy cannot burn the nonce)", async () => {
    const replay = new MemoryReplayGuard({ now: () => now.getTime() });
    const xml = await build({ confidential: undefined });
    const tampered = xml.replace(">1250<", ">1251<");
    assert.equal(await codeOf(async () => await openMessage(tampered, options({ replay }))), "ERR_XML_SIGNATURE_INVALID");
    const stale = options({ replay, now: new Date(now.getTime() + 10 * windowMs) });
    assert.equal(await codeOf(async () => await openMessage(xml, stale)), "ERR_XML_STALE");
    assert.equal(replay.size, 0);
    assert.equal(await codeOf(async () => await openMessage(xml, options({ replay }))), "no error");
  });

  it("checks replay before decrypting: a replay costs no private-key operation", async () => {
    const replay = new MemoryReplayGuard({ now: () => now.getTime() });
    const xml = await build();
    await openMessage(xml, options({ replay }));
    assert.equal(await codeOf(async () => await openMessage(xml, options({ replay, decryptionKeys: {} }))), "ERR_XML_REPLAY");
  });
});

describe("openMessage: the seal binds the confidential part to its message and signer", () => {
  it("surreptitious re-signing: Mallory re-signs Alice's EncryptedData under his own key", async () => {
    const xml = await resign(await build(), () => undefined, mallory, "mallory");
    assert.equal(await codeOf(async () => await openMessage(xml, options())), "ERR_XML_DECRYPT_FAILED");
  });

  it("cut and paste: the EncryptedData of one message moved into another of the same signer", async () => {
    const donor = load(await build());
    const encrypted = donor.getElementsByTagNameNS("http://www.w3.org/2001/04/xmlenc#", "EncryptedData")[0] as Element;
    const xml = await resign(await build({ confidential: undefined }), (doc) => {
      doc.documentElement?.appendChild(doc.importNode(encrypted, true));
    });
    assert.equal(await codeOf(async () => await openMessage(xml, options())), "ERR_XML_DECRYPT_FAILED");
  });

  it("a PlaintextDigest that does not match the plaintext (signed as such)", async () => {
    const xml = await resign(await build(), (doc) => {
      const digest = doc.getElementsByTagNameNS(MSG, "PlaintextDigest")[0] as Element;
      digest.textContent = Buffer.alloc(32).toString("base64");
    });
    assert.equal(await codeOf(async () => await openMessage(xml, options())), "ERR_XML_DECRYPT_FAILED");
  });

  it("a confidential part without keys, or with the wrong platform key", async () => {
    assert.equal(await codeOf(async () => await openMessage(await build(), options({ decryptionKeys: {} }))), "ERR_XML_DECRYPT_FAILED");
    const wrong = options({ decryptionKeys: { privateKey: legacy.privateKey } });
    assert.equal(await codeOf(async () => await openMessage(await build(), wrong)), "ERR_XML_DECRYPT_FAILED");
  });
});

describe("openMessage: envelope fields (validly signed, still refused)", () => {
  const cases: Array<[string, (doc: Document) => void]> = [
    ["a MessageId that is not a UUID", (doc) => doc.documentElement?.setAttribute("MessageId", "not-a-uuid")],
    ["an Id that is not m-<MessageId>", (doc) => doc.documentElement?.setAttribute("Id", "m-other")],
    ["a Timestamp without Z", (doc) => doc.documentElement?.setAttribute("Timestamp", "2026-11-21T10:15:30")],
    ["a Timestamp on 30 February", (doc) => doc.documentElement?.setAttribute("Timestamp", "2026-02-30T10:15:30Z")],
    ["a Nonce of 8 bytes", (doc) => doc.documentElement?.setAttribute("Nonce", "AAAAAAAAAAA")],
    ["a Nonce in padded base64", (doc) => doc.documentElement?.setAttribute("Nonce", "AAAAAAAAAAAAAAAAAAAAAA==")],
    ["an extra attribute", (doc) => doc.documentElement?.setAttribute("Amount", "1")],
    ["a missing Type", (doc) => doc.documentElement?.removeAttribute("Type")],
    [
      "a Confidential part in clear",
      (doc) => {
        doc.documentElement?.appendChild(doc.createElementNS(MSG, "Confidential")).appendChild(doc.createTextNode("1234"));
      },
    ],
    ["an element outside the message namespace in Body", (doc) => {
      doc.getElementsByTagNameNS(MSG, "Payment")[0]?.appendChild(doc.createElementNS("urn:evil", "e:Amount"));
    }],
    ["a prefixed attribute in Body", (doc) => {
      doc.getElementsByTagNameNS(MSG, "Payment")[0]?.setAttributeNS("urn:evil", "e:x", "1");
    }],
    ["a second Body", (doc) => {
      doc.documentElement?.appendChild(doc.createElementNS(MSG, "Body"));
    }],
  ];
  for (const [name, edit] of cases) {
    it(name, async () => {
      const xml = await resign(await build({ confidential: undefined }), edit);
      assert.equal(await codeOf(async () => await openMessage(xml, options())), "ERR_XML_MALFORMED");
    });
  }

  it("a wrong document element or namespace", async () => {
    const xml = await build({ confidential: undefined });
    assert.equal(await codeOf(async () => await openMessage(xml.replace(/urn:obol:msg:1/g, "urn:obol:msg:2"), options())), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await openMessage(xml.replace(/<Message /, "<Messages ").replace(/<\/Message>$/, "</Messages>"), options())), "ERR_XML_MALFORMED");
  });

  it("an unsigned message", async () => {
    const doc = load(await build({ confidential: undefined }));
    const signature = doc.getElementsByTagNameNS(DSIG, "Signature")[0] as Element;
    signature.parentNode?.removeChild(signature);
    assert.equal(await codeOf(async () => await openMessage(save(doc), options())), "ERR_XML_SIGNATURE_MISSING");
  });
});

describe("MemoryReplayGuard", () => {
  it("forgets expired entries and fails closed when full of unexpired ones", async () => {
    let clock = 0;
    const guard = new MemoryReplayGuard({ now: () => clock, entriesMax: 2 });
    assert.equal(await guard.seen("n1", "m1", new Date(100)), false);
    assert.equal(await guard.seen("n1", "m9", new Date(100)), true);
    assert.equal(await guard.seen("n9", "m1", new Date(100)), true);
    assert.equal(await guard.seen("n2", "m2", new Date(200)), false);
    await assert.rejects(guard.seen("n3", "m3", new Date(300)), (e: unknown) => e instanceof XmlError && e.code === "ERR_XML_LIMIT");
    clock = 100; // n1/m1 expired
    assert.equal(await guard.seen("n1", "m1", new Date(400)), false);
    assert.equal(guard.size, 2);
    clock = 250;
    assert.equal(await guard.seen("n2", "m2", new Date(500)), false, "expired, so not a replay any more");
  });
});
