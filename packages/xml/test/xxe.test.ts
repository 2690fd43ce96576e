import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { decryptXml, MemoryReplayGuard, openMessage, parseXml, verifyReceipt } from "../src/index.js";
import type { XmlErrorCode } from "../src/index.js";
import { identity } from "./support/identities.js";
import { assertRejectedFast } from "./support/timing.js";

// XXE and entity-expansion suite. @xmldom/xmldom never expands DTD entities (ecosystem-notes §1 pitfall 5),
// but peers on libxml2 do, and a parser swap must not reopen the hole: every one of these is refused before
// a DOM exists, within 100 ms, without memory growth, and without a single connection to the listener.

let server: Server;
let port = 0;
let connections = 0;

before(async () => {
  server = createServer((_request, response) => {
    response.end('<!ENTITY leak "leaked">');
  });
  server.on("connection", () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  // Positive control: the listener does count connections, so "zero" below means something.
  await new Promise<void>((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.end();
      resolve();
    });
    socket.on("error", reject);
  });
  for (let i = 0; i < 50 && connections === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(connections, 1, "the listener saw the control connection");
  connections = 0;
});

after(async () => {
  // Give a late fetch (there must be none) the chance to arrive before counting.
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(connections, 0, "the listener must receive zero connections");
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const billionLaughs = (): string => {
  const entities = ['<!ENTITY lol "lol">'];
  for (let i = 1; i <= 9; i++) {
    entities.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? "" : i - 1};`.repeat(10)}">`);
  }
  return `<?xml version="1.0"?><!DOCTYPE lolz [${entities.join("")}]><lolz>&lol9;</lolz>`;
};

interface HostileCase {
  readonly name: string;
  readonly xml: () => string;
  readonly codes: readonly XmlErrorCode[];
}

const cases: readonly HostileCase[] = [
  {
    name: "external file entity (file:///etc/passwd)",
    xml: () => '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>',
    codes: ["ERR_XML_FORBIDDEN_CONSTRUCT"],
  },
  {
    name: "external HTTP entity to the 127.0.0.1 listener",
    xml: () => `<!DOCTYPE r [<!ENTITY xxe SYSTEM "http://127.0.0.1:${port}/xxe">]><r>&xxe;</r>`,
    codes: ["ERR_XML_FORBIDDEN_CONSTRUCT"],
  },
  {
    name: "external DTD (DOCTYPE SYSTEM) on the listener",
    xml: () => `<!DOCTYPE r SYSTEM "http://127.0.0.1:${port}/r.dtd"><r/>`,
    codes: ["ERR_XML_FORBIDDEN_CONSTRUCT"],
  },
  {
    name: "parameter entity fetched from the listener",
    xml: () => `<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:${port}/p.dtd"> %p;]><r>&leak;</r>`,
    codes: ["ERR_XML_FORBIDDEN_CONSTRUCT"],
  },
  {
    name: "DOCTYPE with an internal subset",
    xml: () => '<!DOCTYPE r [<!ELEMENT r (#PCDATA)><!ATTLIST r Id ID #IMPLIED><!ENTITY x "y">]><r Id="a">&x;</r>',
    codes: ["ERR_XML_FORBIDDEN_CONSTRUCT"],
  },
  {
    name: "billion laughs (nested internal entities)",
    xml: billionLaughs,
    codes: ["ERR_XML_FORBIDDEN_CONSTRUCT"],
  },
  {
    name: "entity reference without any DOCTYPE",
    xml: () => "<r>&xxe;</r>",
    codes: ["ERR_XML_FORBIDDEN_CONSTRUCT"],
  },
  {
    name: "10 MB attribute",
    xml: () => `<r a="${"A".repeat(10 * 1024 * 1024)}"/>`,
    codes: ["ERR_XML_LIMIT"],
  },
  {
    name: "10,000 levels of nesting, closed (70 KB)",
    xml: () => "<a>".repeat(10_000) + "</a>".repeat(10_000),
    codes: ["ERR_XML_LIMIT"],
  },
  {
    name: "10,000 levels of nesting, unclosed (30 KB, under the size limit)",
    xml: () => "<a>".repeat(10_000),
    codes: ["ERR_XML_LIMIT"],
  },
];

const platform = identity("rsa", "platform");
const device = identity("ec", "device");

/** Every entry point that takes XML from outside. */
const entryPoints: ReadonlyArray<readonly [string, (xml: string | Uint8Array) => unknown]> = [
  ["parseXml", (xml) => parseXml(xml)],
  [
    "openMessage",
    (xml) =>
      openMessage(xml, {
        trustedKeyFor: () => device.publicKey,
        now: new Date(),
        replay: new MemoryReplayGuard({ now: () => Date.now() }),
        decryptionKeys: { privateKey: platform.privateKey },
      }),
  ],
  ["verifyReceipt", (xml) => verifyReceipt(xml, platform.certificate)],
  ["decryptXml", (xml) => decryptXml(xml, { privateKey: platform.privateKey })],
];

describe("XXE and entity expansion", () => {
  for (const hostile of cases) {
    it(hostile.name, async () => {
      const xml = hostile.xml();
      for (const [, enter] of entryPoints) {
        await assertRejectedFast(() => enter(xml), hostile.codes);
        await assertRejectedFast(() => enter(Buffer.from(xml)), hostile.codes);
      }
    });
  }

  it("the limits that stop the 10 MB attribute and the 10,000 levels are the element limits, not only the size", async () => {
    const big = { limits: { documentBytesMax: 16 * 1024 * 1024 } };
    const attribute = `<r a="${"A".repeat(10 * 1024 * 1024)}"/>`;
    const error = await assertRejectedFast(() => parseXml(attribute, big), "ERR_XML_LIMIT");
    assert.match(error.message, /attribute value/);
    const deep = "<a>".repeat(10_000) + "</a>".repeat(10_000);
    const deepError = await assertRejectedFast(() => parseXml(deep, big), "ERR_XML_LIMIT");
    assert.match(deepError.message, /nested deeper/);
  });
});
