// @obol/bank: the reference bank (its own process, its own database, keys and customer accounts) and the
// signed, encrypted XML messages of the bank channel, shaped after ISO 20022 (README.md).
export * from "./messages/index.js";
export { sealBankMessage, openBankMessage } from "./channel.js";
export type { ChannelSigner, SealInput, SealedMessage, OpenInput, OpenedBankMessage } from "./channel.js";
export { faultNames, messageKinds, checkFaultRules, parseFaultsEnv, FaultSwitches, FaultRuleError } from "./faults.js";
export type { FaultName, FaultRule, MessageKind } from "./faults.js";
export { loadBankConfig, BankConfigError } from "./config.js";
export type { BankConfig } from "./config.js";
export { createReferenceBank } from "./bank.js";
export type { ReferenceBank, CreateBankOptions } from "./bank.js";
export { BankBooks, BooksError, sameName } from "./books.js";
export type { TransactionOutcome, LinkOutcome, AccountRow } from "./books.js";
export { bankKeyName, BankService } from "./service.js";
export type { BankReply } from "./service.js";
export { bankCertificatesPem, channelCertificates } from "./keys.js";
export type { BankKeys } from "./keys.js";
export { startBank } from "./start.js";
export { BankClient } from "./client.js";
export type { BankClientOptions, Exchange } from "./client.js";
export { httpTransport, inProcessTransport, BankTransportError, answerBytesMax } from "./transport.js";
export type { BankTransport, TransportFailure } from "./transport.js";
