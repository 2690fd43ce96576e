import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { createCsr } from "@obol/pki";
import { buildMessage, MemoryReplayGuard, readNodes, openMessage, verifyReceipt, type VerifiedReceipt, type XmlNode } from "@obol/xml";
import type { Harness, Party } from "../api/harness.js";

export interface Device {
  party: Party;
  compactId: string;
  /** Signs a wallet message as this device and posts it; answers are verified with the platform certificate. */
  send(type: string, body: XmlNode[]): Promise<DeviceReply>;
}

export interface DeviceReply {
  status: number;
  text: string;
  /** The error code of a JSON error (channel-level refusal), if any. */
  code?: string;
  /** The verified answer's type and body elements, for XML answers. */
  type?: string;
  body?: XmlNode[];
}

/** Enrols a fresh P-256 device key for a harness party (enrolment code from the admin, CSR, certificate). */
export async function enrolDeviceKey(h: Harness, party: Party): Promise<{ key: KeyObject; compactId: string; serial: string }> {
  const key: KeyObject = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const code = (await h.call("POST", "/v1/admin/enrolment-codes", { token: h.adminToken, json: { msisdn: party.msisdn } })).body.code;
  const enrolled = await h.call("POST", "/v1/pki/enrol", { token: party.token, json: { code, csr: Buffer.from(await createCsr(key, "phone")).toString("base64") } });
  assert.equal(enrolled.status, 201, enrolled.text);
  return { key, compactId: enrolled.body.compactId as string, serial: enrolled.body.serial as string };
}

/** A device of a harness party that signs and posts wallet messages (enrolDeviceKey, then send). */
export async function enrolDevice(h: Harness, party: Party): Promise<Device> {
  const { key, compactId } = await enrolDeviceKey(h, party);
  const platformCertificate = new X509Certificate(h.platform.services.pki.keys.signing.certificateDer);
  return {
    party, compactId,
    async send(type, body) {
      const xml = (await buildMessage({ type, body, now: new Date(h.clock.now), random: (n) => new Uint8Array(randomBytes(n)), signer: { privateKey: key, keyName: compactId } })).xml;
      const reply = await h.platform.app.inject({ method: "POST", url: "/v1/wallet/messages", headers: { "content-type": "application/xml" }, payload: xml });
      const text = reply.body;
      if (String(reply.headers["content-type"]).startsWith("application/json")) return { status: reply.statusCode, text, code: JSON.parse(text).error.code };
      const opened = await openMessage(text, { now: new Date(h.clock.now), freshnessWindowMs: 120_000, trustedKeyFor: async () => platformCertificate, replay: new MemoryReplayGuard({ now: h.clock.read }) });
      return { status: reply.statusCode, text, type: opened.type, body: readNodes(opened.body).filter((n): n is XmlNode => typeof n !== "string") };
    },
  };
}

/** The receipt in a reply, verified offline with the platform certificate. */
export function receiptOf(h: Harness, reply: DeviceReply): Promise<VerifiedReceipt> {
  return verifyReceipt(reply.text, new X509Certificate(h.platform.services.pki.keys.signing.certificateDer));
}
