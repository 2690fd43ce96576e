import { timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from "fastify";
import { documentBytesMax } from "@obol/xml";
import { BooksError, type BankBooks } from "./books.js";
import { checkFaultRules, FaultRuleError, type FaultSwitches } from "./faults.js";
import { channelCertificates } from "./keys.js";
import type { BankService } from "./service.js";

export interface BankHttpOptions {
  readonly service: BankService;
  readonly books: BankBooks;
  readonly faults: FaultSwitches;
  readonly certificatesPem: string;
  readonly adminToken: string | undefined;
  readonly logger: FastifyBaseLogger | false;
}

const loopback = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
const xmlTypes = ["application/xml", "text/xml"];

/**
 * The bank over HTTP:
 * - POST /v1/messages: one signed XML message in, one signed XML message out (application/xml);
 * - GET /v1/certificates: the certificates clients pin (also written to a file at start);
 * - /admin/…: open and fund customer accounts, register clients, read a holder's bank messages,
 *   set fault switches. Only from loopback, and only with the admin token (there is none by default:
 *   without OBOL_BANK_ADMIN_TOKEN the admin endpoints answer 403).
 */
export async function buildBankApp(o: BankHttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(o.logger === false ? { logger: false } : { loggerInstance: o.logger }),
    bodyLimit: 16 * 1024, return503OnClosing: true, onProtoPoisoning: "error", onConstructorPoisoning: "error",
    // Fastify's default strips unknown fields silently; refuse them instead.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  app.addContentTypeParser(xmlTypes, { parseAs: "string", bodyLimit: documentBytesMax }, (_request, body, done) => done(null, body));

  app.get("/health", async () => ({ status: "ok" }));
  app.get("/v1/certificates", async (_request, reply) => reply.type("application/x-pem-file").send(o.certificatesPem));

  app.post("/v1/messages", async (request, reply) => {
    if (typeof request.body !== "string") return reply.code(415).send({ error: { code: "ERR_BANK_MEDIA_TYPE", message: "send application/xml" } });
    const answer = await o.service.handle(request.body);
    if (answer.kind === "down") return reply.code(503).header("retry-after", "1").send({ error: { code: "ERR_BANK_DOWN", message: "the bank is down (fault switch)" } });
    if (answer.kind === "drop") {
      // applied_response_lost: the work is committed; the client never hears of it.
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    }
    return reply.type("application/xml").send(answer.xml);
  });

  await app.register(async (admin) => {
    admin.addHook("onRequest", async (request, reply) => {
      if (!isAdmin(request, o.adminToken)) return reply.code(403).send({ error: { code: "ERR_BANK_ADMIN_FORBIDDEN", message: "admin endpoints need loopback and the admin token" } });
    });
    admin.setErrorHandler((error, _request, reply) => {
      if (error instanceof BooksError) return reply.code(error.code === "ERR_BANK_ACCOUNT_NOT_FOUND" ? 404 : 409).send({ error: { code: error.code, message: error.message } });
      if (error instanceof FaultRuleError) return reply.code(400).send({ error: { code: "ERR_BANK_FAULTS_INVALID", message: error.message } });
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: { code: "ERR_BANK_REQUEST_INVALID", message: (error as Error).message } });
      throw error;
    });

    const accountParams = { type: "object", required: ["number"], properties: { number: { type: "string", pattern: "^[A-Z0-9]{6,34}$" } } } as const;
    const amount = { type: "string", pattern: "^[1-9][0-9]{0,18}$" } as const;

    admin.post<{ Body: { holderName: string; currency: string; msisdn?: string; number?: string; opening?: string } }>("/admin/accounts", {
      schema: {
        body: {
          type: "object", additionalProperties: false, required: ["holderName", "currency"],
          properties: {
            holderName: { type: "string", minLength: 1, maxLength: 70, pattern: "^[^\\u0000-\\u001f\\u007f]+$" }, currency: { type: "string", pattern: "^[A-Z]{3}$" },
            msisdn: { type: "string", pattern: "^\\+[1-9][0-9]{7,14}$" }, number: { type: "string", pattern: "^[A-Z0-9]{6,34}$" }, opening: amount,
          },
        },
      },
    }, async (request, reply) => {
      const { opening, ...account } = request.body;
      const opened = await o.books.openAccount(account);
      if (opening !== undefined) await o.books.fund(opened.number, BigInt(opening));
      return reply.code(201).send(accountView((await o.books.account(opened.number))!));
    });

    admin.get<{ Params: { number: string } }>("/admin/accounts/:number", { schema: { params: accountParams } }, async (request, reply) => {
      const account = await o.books.account(request.params.number);
      return account === undefined ? reply.code(404).send({ error: { code: "ERR_BANK_ACCOUNT_NOT_FOUND", message: "no such account" } }) : accountView(account);
    });

    admin.post<{ Params: { number: string }; Body: { amount: string } }>("/admin/accounts/:number/fund", {
      schema: { params: accountParams, body: { type: "object", additionalProperties: false, required: ["amount"], properties: { amount } } },
    }, async (request) => {
      const outcome = await o.books.fund(request.params.number, BigInt(request.body.amount));
      return { reference: outcome.reference, account: accountView((await o.books.account(request.params.number))!) };
    });

    admin.post<{ Params: { number: string } }>("/admin/accounts/:number/close", { schema: { params: accountParams } }, async (request, reply) => {
      return (await o.books.closeAccount(request.params.number)) ? { closed: true } : reply.code(404).send({ error: { code: "ERR_BANK_ACCOUNT_NOT_FOUND", message: "no such customer account" } });
    });

    admin.get<{ Params: { number: string } }>("/admin/accounts/:number/messages", { schema: { params: accountParams } }, async (request) => {
      return { messages: (await o.books.customerMessages(request.params.number)).map((m) => ({ body: m.body, sentAt: m.sentAt.toISOString() })) };
    });

    admin.get<{ Params: { number: string } }>("/admin/accounts/:number/entries", { schema: { params: accountParams } }, async (request) => {
      return { entries: (await o.books.entries(request.params.number)).map((e) => ({ ...e, seq: e.seq.toString(), amount: e.amount.toString(), bookedAt: e.bookedAt.toISOString() })) };
    });

    admin.post<{ Body: { id: string; certificates: string } }>("/admin/clients", {
      schema: {
        body: {
          type: "object", additionalProperties: false, required: ["id", "certificates"],
          properties: { id: { type: "string", pattern: "^[a-z][a-z0-9-]{0,31}$" }, certificates: { type: "string", maxLength: 16384 } },
        },
      },
    }, async (request, reply) => {
      let certificates: ReturnType<typeof channelCertificates>;
      try {
        certificates = channelCertificates(request.body.certificates);
      } catch (error) {
        return reply.code(400).send({ error: { code: "ERR_BANK_CERTIFICATES_INVALID", message: (error as Error).message } });
      }
      await o.books.registerClient(request.body.id, certificates.signing.raw, certificates.encryption.raw);
      o.service.forgetClient(request.body.id);
      return reply.code(201).send({ id: request.body.id, signing: certificates.signing.fingerprint256, encryption: certificates.encryption.fingerprint256 });
    });

    admin.get<{ Params: { id: string; currency: string } }>("/admin/clients/:id/settlement/:currency", {
      schema: { params: { type: "object", properties: { id: { type: "string", pattern: "^[a-z][a-z0-9-]{0,31}$" }, currency: { type: "string", pattern: "^[A-Z]{3}$" } } } },
    }, async (request, reply) => {
      if ((await o.books.client(request.params.id)) === undefined) return reply.code(404).send({ error: { code: "ERR_BANK_CLIENT_NOT_FOUND", message: "no such client" } });
      return accountView(await o.books.settlementAccount(request.params.id, request.params.currency));
    });

    admin.get("/admin/faults", async () => ({ faults: o.faults.list() }));
    admin.put<{ Body: unknown }>("/admin/faults", async (request) => {
      o.faults.set(checkFaultRules(request.body));
      return { faults: o.faults.list() };
    });
    admin.delete("/admin/faults", async () => {
      o.faults.set([]);
      return { faults: [] };
    });

    admin.get("/admin/verify", async () => {
      const report = await o.books.verify();
      return { accounts: report.accounts, total: report.total.toString(), mismatched: report.mismatched, balanced: report.total === 0n && report.mismatched.length === 0 };
    });
  });
  return app;
}

function isAdmin(request: FastifyRequest, token: string | undefined): boolean {
  if (token === undefined) return false;
  if (!loopback.has(request.socket.remoteAddress ?? "")) return false;
  const given = Buffer.from(request.headers.authorization ?? "");
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function accountView(a: { number: string; currency: string; kind: string; holder_name: string; holder_msisdn: string | null; balance: bigint; status: string }) {
  return { number: a.number, currency: a.currency, kind: a.kind, holderName: a.holder_name, msisdn: a.holder_msisdn, balance: a.balance.toString(), status: a.status };
}
