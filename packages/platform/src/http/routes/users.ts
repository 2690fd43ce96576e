import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError, errorBody } from "../../errors/api-errors.js";
import { parseAmount } from "../../money.js";
import { decoyHash, verifyPassword } from "../../modules/parties/passwords.js";
import type { Outcome, MovementReceipt } from "../../modules/wallet/service.js";
import type { BankMovement } from "../../modules/banking/service.js";
import type { RouteContext } from "../context.js";
import { failure, idempotent, type Answer } from "../idempotent.js";
import { movementSchema, transferNote } from "./account.js";
import { amount, currency, msisdn, noNul, pageLimit, password } from "../schemas.js";
import { idempotencyHeaders, security } from "../openapi.js";
import { bankMovement, historyPage, movementReceipt, session, userView, walletBalance } from "../views.js";

const transferErrors = ["ERR_RECIPIENT_NOT_FOUND", "ERR_SELF_TRANSFER", "ERR_CURRENCY_UNSUPPORTED", "ERR_INSUFFICIENT_FUNDS", "ERR_ACCOUNT_FROZEN", "ERR_AMOUNT_LIMIT", "ERR_NOTE_INVALID"] as const;
const bankErrors = [
  "ERR_CURRENCY_UNSUPPORTED", "ERR_INSUFFICIENT_FUNDS", "ERR_ACCOUNT_FROZEN", "ERR_AMOUNT_LIMIT", "ERR_BANK_ACCOUNT_NOT_LINKED", "ERR_BANK_DECLINED",
  "ERR_BANK_NOT_CONFIGURED", "ERR_BANK_UNAVAILABLE",
] as const;

function answer(outcome: Outcome<MovementReceipt>): Answer {
  return outcome.ok ? { status: 201, body: outcome.value } : failure(outcome.code);
}

/** Through the bank: 201 completed, 202 still pending (poll /v1/me/bank-operations/{id}), 422 declined or reversed. */
function bankAnswer(outcome: Outcome<BankMovement>): Answer {
  if (!outcome.ok) return failure(outcome.code);
  const movement = outcome.value;
  if (movement.status === "completed") return { status: 201, body: movement };
  if (movement.status === "pending") return { status: 202, body: movement };
  return { status: 422, body: errorBody("ERR_BANK_DECLINED", undefined, movement) };
}

const registerErrors = ["ERR_MSISDN_TAKEN"] as const;
const loginErrors = ["ERR_LOGIN_LOCKED", "ERR_INVALID_CREDENTIALS", "ERR_USER_SUSPENDED"] as const;

/** Users: register, log in, see balances and history, move money. */
export function userRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/users", {
      schema: {
        tags: ["users"], summary: "Register a user; creates a wallet in each platform currency",
        body: z.strictObject({ msisdn, displayName: z.string().trim().min(1).max(64).refine(...noNul).meta({ example: "Amina Njeri" }), password: password.meta({ example: "correct horse battery" }) })
          .meta({ example: { msisdn: "+254700000042", displayName: "Amina Njeri", password: "correct horse battery" } }),
        response: { 201: userView },
      },
      config: { errors: registerErrors },
    }, async (request, reply) => {
      const created = await ctx.parties.createUser(request.body);
      if (!created.ok) throw new ApiError(created.code);
      return reply.code(201).send(created.user);
    });

    app.post("/auth/login", {
      schema: {
        tags: ["users"], summary: "Log a user in; returns a short-lived bearer token", body: z.strictObject({ msisdn, password: z.string().max(128).meta({ example: "correct horse battery" }) }),
        response: { 200: session.extend({ userId: z.string() }) },
      },
      config: { errors: loginErrors },
    }, async (request, reply) => {
      const { msisdn: login, password: given } = request.body;
      if (await ctx.auth.isLocked(login)) throw new ApiError("ERR_LOGIN_LOCKED");
      const user = await ctx.parties.userByMsisdn(login);
      const valid = await verifyPassword(given, user?.passwordHash ?? (await decoyHash));
      if (user === undefined || !valid) {
        await ctx.auth.recordFailure(login);
        await ctx.audit.append({ actorType: "user", actorId: user?.id ?? null, action: "auth.login_failed", subject: `msisdn:${login}`, details: { ip: request.ip } });
        throw new ApiError("ERR_INVALID_CREDENTIALS");
      }
      if (user.status !== "active") throw new ApiError("ERR_USER_SUSPENDED");
      await ctx.auth.clearFailures(login);
      await ctx.audit.append({ actorType: "user", actorId: user.id, action: "auth.login", subject: `msisdn:${login}`, details: { ip: request.ip } });
      const session = await ctx.auth.issueSession("user", user.id, null);
      return reply.send({ token: session.token, expiresAt: session.expiresAt.toISOString(), userId: user.id });
    });

    app.get("/me", { schema: { tags: ["users"], summary: "The calling user", security: security.user, response: { 200: userView } } }, async (request) => {
      return ctx.callers.user(request);
    });

    app.get("/me/balance", { schema: { tags: ["users"], summary: "Balances of the caller's wallets", security: security.user, response: { 200: z.object({ balances: z.array(walletBalance) }) } } }, async (request) => {
      const user = await ctx.callers.user(request);
      return { balances: await ctx.wallet.balances(user.id) };
    });

    app.get("/me/history", {
      schema: {
        tags: ["users"], summary: "Posted movements of a wallet, newest first, with the counterparty and the note", security: security.user,
        querystring: z.strictObject({ currency: currency.optional(), limit: pageLimit, before: z.string().regex(/^[0-9]{1,18}$/).optional() }),
        response: { 200: z.object({ currency: z.string(), entries: z.array(movementSchema.extend({ cursor: z.string() })), next: z.string().nullable() }) },
      },
      config: { errors: ["ERR_CURRENCY_UNSUPPORTED"] },
    }, async (request) => {
      const user = await ctx.callers.user(request);
      const currency = request.query.currency ?? ctx.wallet.currencies[0]!;
      const page = await ctx.wallet.history(user, { currency, limit: request.query.limit, ...(request.query.before ? { beforeSeq: BigInt(request.query.before) } : {}) });
      if (!page.ok) throw new ApiError(page.code);
      return { currency, ...page.value };
    });

    app.post("/transfers", {
      schema: {
        tags: ["users"], summary: "Send money to another user (P2P), with an optional note. Needs an Idempotency-Key.", security: security.user, headers: idempotencyHeaders,
        body: z.strictObject({ toMsisdn: msisdn, amount, currency, note: transferNote }).meta({ example: { toMsisdn: "+254700000002", amount: "1250", currency: "KES", note: "lunch" } }),
        response: { 201: movementReceipt },
      },
      config: { errors: transferErrors },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      return idempotent(ctx.idempotency, request, reply, `user:${user.id}`, "p2p", async (transferId, fence) => answer(await ctx.wallet.p2p(user, {
        toMsisdn: request.body.toMsisdn, amount: parseAmount(request.body.amount)!, currency: request.body.currency, transferId: transferId(0), note: request.body.note ?? null, fence,
      })));
    });

    app.post("/me/top-ups", {
      schema: {
        tags: ["users"], summary: "Add money from your linked bank account (or, in development without a bank, from the clearing account). 201 completed, 202 pending. Needs an Idempotency-Key.", security: security.user, headers: idempotencyHeaders,
        body: z.strictObject({ amount, currency }).meta({ example: { amount: "50000", currency: "KES" } }),
        response: { 201: z.union([movementReceipt, bankMovement]).meta({ description: "Completed: the ledger receipt (no bank) or the bank operation" }), 202: bankMovement.meta({ description: "Pending at the bank: poll GET /v1/me/bank-operations/{operationId}" }) },
      },
      config: { errors: bankErrors },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      return idempotent(ctx.idempotency, request, reply, `user:${user.id}`, "top_up", async (transferId, fence) => {
        const input = { amount: parseAmount(request.body.amount)!, currency: request.body.currency };
        if (ctx.banking.enabled) return bankAnswer(await ctx.banking.topUp(user, { ...input, operationId: transferId(0) }));
        return ctx.banking.clearingOnlyAllowed ? answer(await ctx.wallet.topUp(user, { ...input, transferId: transferId(0), fence })) : failure("ERR_BANK_NOT_CONFIGURED");
      });
    });

    app.post("/me/withdrawals", {
      schema: {
        tags: ["users"], summary: "Send money to your linked bank account. 201 completed, 202 pending. Needs an Idempotency-Key.", security: security.user, headers: idempotencyHeaders,
        body: z.strictObject({ amount, currency }).meta({ example: { amount: "50000", currency: "KES" } }),
        response: { 201: z.union([movementReceipt, bankMovement]).meta({ description: "Completed: the ledger receipt (no bank) or the bank operation" }), 202: bankMovement.meta({ description: "Pending at the bank: poll GET /v1/me/bank-operations/{operationId}" }) },
      },
      config: { errors: bankErrors },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      return idempotent(ctx.idempotency, request, reply, `user:${user.id}`, "withdrawal", async (transferId, fence) => {
        const input = { amount: parseAmount(request.body.amount)!, currency: request.body.currency };
        if (ctx.banking.enabled) return bankAnswer(await ctx.banking.withdraw(user, { ...input, operationId: transferId(0) }));
        return ctx.banking.clearingOnlyAllowed ? answer(await ctx.wallet.withdraw(user, { ...input, transferId: transferId(0), fence })) : failure("ERR_BANK_NOT_CONFIGURED");
      });
    });
  };
}
