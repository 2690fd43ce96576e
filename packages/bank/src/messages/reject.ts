import type { XmlNode } from "@obol/xml";
import { check, envelopeIdPattern, headerNode, readHeader, type Header } from "./fields.js";
import { child, fields, leaf, node, one, optional, root } from "./read.js";

export const rejectMessageType = "bank.reject.v1";

/**
 * Why the bank refused a message before doing anything with it (our RjctgPtyRsn codes):
 * MALFORMED (not a well-formed bank message, or breaks a limit), SIGNATURE (missing, bad, or not a
 * registered client's key), STALE (Timestamp outside the window), REPLAY (Nonce or envelope
 * MessageId seen before), DECRYPT (the confidential part did not decrypt), TYPE (unknown Type),
 * MISMATCH (this MsgId was used before for a different instruction), BUSY (try again later).
 */
export type RejectReason = "MALFORMED" | "SIGNATURE" | "STALE" | "REPLAY" | "DECRYPT" | "TYPE" | "MISMATCH" | "BUSY";

/** admi.002 MessageReject: the message was not processed; nothing was booked because of it. */
export interface MessageReject {
  readonly header: Header;
  /** The refused message's envelope MessageId, when it could be read. */
  readonly inReplyTo?: string | undefined;
  readonly reason: RejectReason;
  readonly description: string;
}

const reasonPattern = /^(MALFORMED|SIGNATURE|STALE|REPLAY|DECRYPT|TYPE|MISMATCH|BUSY)$/;
const descriptionPattern = /^[\x20-\x7e]{1,140}$/;

export function buildMessageReject(r: MessageReject): XmlNode[] {
  if (r.inReplyTo !== undefined) check(envelopeIdPattern, r.inReplyTo, "RltdRef");
  check(descriptionPattern, r.description, "RsnDesc");
  return [node("MsgRjct", [
    headerNode("GrpHdr", r.header),
    r.inReplyTo === undefined ? undefined : node("RltdRef", [leaf("Ref", r.inReplyTo)]),
    node("Rsn", [leaf("RjctgPtyRsn", r.reason), leaf("RsnDesc", r.description)]),
  ])];
}

export function readMessageReject(body: ReadonlyArray<XmlNode | string>): MessageReject {
  const top = fields(root(body, "MsgRjct"), [["GrpHdr", "1"], ["RltdRef", "?"], ["Rsn", "1"]]);
  const reason = fields(child(top, "Rsn"), [["RjctgPtyRsn", "1"], ["RsnDesc", "1"]]);
  const related = top.RltdRef![0] === undefined ? undefined : fields(top.RltdRef![0]!, [["Ref", "1"]]);
  return {
    header: readHeader(child(top, "GrpHdr")).header,
    inReplyTo: related === undefined ? undefined : optional(related, "Ref", envelopeIdPattern),
    reason: one(reason, "RjctgPtyRsn", reasonPattern) as RejectReason,
    description: one(reason, "RsnDesc", descriptionPattern),
  };
}
