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

const bearer = [{ bearerAuth: [] }];

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

/** Users: register, log in, see balances and history, move money. */
export function userRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/users", {
      schema: {
        tags: ["users"], summary: "Register a user; creates a wallet in each platform currency",
        body: z.strictObject({ msisdn, displayName: z.string().trim().min(1).max(64).refine(...noNul), password }),
      },
    }, async (request, reply) => {
      const created = await ctx.parties.createUser(request.body);
      if (!created.ok) throw new ApiError(created.code);
      return reply.code(201).send(created.user);
    });

    app.post("/auth/login", {
      schema: { tags: ["users"], summary: "Log a user in; returns a short-lived bearer token", body: z.strictObject({ msisdn, password: z.string().max(128) }) },
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

    app.get("/me", { schema: { tags: ["users"], summary: "The calling user", security: bearer } }, async (request) => {
      return ctx.callers.user(request);
    });

    app.get("/me/balance", { schema: { tags: ["users"], summary: "Balances of the caller's wallets", security: bearer } }, async (request) => {
      const user = await ctx.callers.user(request);
      return { balances: await ctx.wallet.balances(user.id) };
    });

    app.get("/me/history", {
      schema: {
        tags: ["users"], summary: "Posted movements of a wallet, newest first, with the counterparty and the note", security: bearer,
        querystring: z.strictObject({ currency: currency.optional(), limit: pageLimit, before: z.string().regex(/^[0-9]{1,18}$/).optional() }),
        response: { 200: z.object({ currency: z.string(), entries: z.array(movementSchema.extend({ cursor: z.string() })), next: z.string().nullable() }) },
      },
    }, async (request) => {
      const user = await ctx.callers.user(request);
      const currency = request.query.currency ?? ctx.wallet.currencies[0]!;
      const page = await ctx.wallet.history(user, { currency, limit: request.query.limit, ...(request.query.before ? { beforeSeq: BigInt(request.query.before) } : {}) });
      if (!page.ok) throw new ApiError(page.code);
      return { currency, ...page.value };
    });

    const moneyHeaders = z.object({ "idempotency-key": z.string().optional() });

    app.post("/transfers", {
      schema: {
        tags: ["users"], summary: "Send money to another user (P2P). Needs an Idempotency-Key.", security: bearer, headers: moneyHeaders,
        body: z.strictObject({ toMsisdn: msisdn, amount, currency, note: transferNote }),
      },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      return idempotent(ctx.idempotency, request, reply, `user:${user.id}`, "p2p", async (transferId) => answer(await ctx.wallet.p2p(user, {
        toMsisdn: request.body.toMsisdn, amount: parseAmount(request.body.amount)!, currency: request.body.currency, transferId: transferId(0), note: request.body.note ?? null,
      })));
    });

    app.post("/me/top-ups", {
      schema: {
        tags: ["users"], summary: "Add money from your linked bank account (or, in development without a bank, from the clearing account). 201 completed, 202 pending. Needs an Idempotency-Key.", security: bearer, headers: moneyHeaders,
        body: z.strictObject({ amount, currency }),
      },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      return idempotent(ctx.idempotency, request, reply, `user:${user.id}`, "top_up", async (transferId) => {
        const input = { amount: parseAmount(request.body.amount)!, currency: request.body.currency };
        if (ctx.banking.enabled) return bankAnswer(await ctx.banking.topUp(user, { ...input, operationId: transferId(0) }));
        return ctx.banking.clearingOnlyAllowed ? answer(await ctx.wallet.topUp(user, { ...input, transferId: transferId(0) })) : failure("ERR_BANK_NOT_CONFIGURED");
      });
    });

    app.post("/me/withdrawals", {
      schema: {
        tags: ["users"], summary: "Send money to your linked bank account. 201 completed, 202 pending. Needs an Idempotency-Key.", security: bearer, headers: moneyHeaders,
        body: z.strictObject({ amount, currency }),
      },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      return idempotent(ctx.idempotency, request, reply, `user:${user.id}`, "withdrawal", async (transferId) => {
        const input = { amount: parseAmount(request.body.amount)!, currency: request.body.currency };
        if (ctx.banking.enabled) return bankAnswer(await ctx.banking.withdraw(user, { ...input, operationId: transferId(0) }));
        return ctx.banking.clearingOnlyAllowed ? answer(await ctx.wallet.withdraw(user, { ...input, transferId: transferId(0) })) : failure("ERR_BANK_NOT_CONFIGURED");
      });
    });
  };
}
