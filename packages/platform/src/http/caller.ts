import type { FastifyRequest } from "fastify";
import { ApiError } from "../errors/api-errors.js";
import type { AuthService } from "../modules/auth/service.js";
import type { RequestSigning } from "../modules/auth/request-signing.js";
import type { OperatorRole, PartiesService, User, Merchant } from "../modules/parties/service.js";

/**
 * Each request's JSON body as the client sent it, before schema validation adds defaults: request
 * signatures cover what the merchant signed, not what the platform filled in (set in app.ts).
 */
export const receivedBodies = new WeakMap<object, unknown>();

/** The token or API key of an `Authorization: Bearer …` header (RFC 6750 §2.1), if well formed. */
export function bearerSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === "string" ? /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(header)?.[1] : undefined;
}

/** Who is calling, from the Authorization header: a user or operator token, or a merchant API key. */
export type Caller =
  | { type: "user"; user: User }
  | { type: "operator"; operatorId: string; role: OperatorRole }
  | { type: "merchant"; merchant: Merchant };

export class CallerResolver {
  /** Each request's caller once known: the authentication hooks (app.ts) resolve it, handlers read it. */
  private readonly identified = new WeakMap<object, Promise<Caller>>();
  private readonly resolved = new WeakMap<object, Promise<Caller>>();

  constructor(private readonly auth: AuthService, private readonly parties: PartiesService, private readonly signing?: RequestSigning) {}

  /**
   * Who is calling, from the Authorization header alone (no body needed): run before the body is read, so an
   * unauthenticated request gets 401 before its body is parsed or validated.
   */
  identify(request: FastifyRequest): Promise<Caller> {
    let caller = this.identified.get(request);
    if (caller === undefined) {
      caller = this.fromHeader(request);
      this.identified.set(request, caller);
    }
    return caller;
  }

  private async fromHeader(request: FastifyRequest): Promise<Caller> {
    const secret = bearerSecret(request);
    if (secret === undefined) throw new ApiError("ERR_UNAUTHENTICATED");
    if (secret.startsWith("obol_sk_")) {
      const merchantId = await this.auth.merchantForApiKey(secret);
      const merchant = merchantId === undefined ? undefined : await this.parties.merchantById(merchantId);
      if (merchant === undefined) throw new ApiError("ERR_UNAUTHENTICATED");
      return { type: "merchant", merchant };
    }
    const session = await this.auth.session(secret);
    if (session === undefined) throw new ApiError("ERR_UNAUTHENTICATED");
    if (session.subjectType === "operator") return { type: "operator", operatorId: session.subjectId, role: session.role as OperatorRole };
    const user = await this.parties.userById(session.subjectId);
    if (user === undefined) throw new ApiError("ERR_UNAUTHENTICATED");
    if (user.status !== "active") throw new ApiError("ERR_USER_SUSPENDED");
    return { type: "user", user };
  }

  /** The caller, with a merchant's request signature checked over the body as sent (so after the body is read). */
  resolve(request: FastifyRequest): Promise<Caller> {
    let caller = this.resolved.get(request);
    if (caller === undefined) {
      caller = this.identify(request).then(async (identified) => {
        if (identified.type !== "merchant" || this.signing === undefined) return identified;
        const signed = await this.signing.check(identified.merchant.id, { method: request.method, url: request.url, headers: request.headers, body: receivedBodies.get(request) });
        if (signed !== "ok") throw new ApiError(signed);
        return identified;
      });
      this.resolved.set(request, caller);
    }
    return caller;
  }

  async user(request: FastifyRequest): Promise<User> {
    const caller = await this.resolve(request);
    if (caller.type !== "user") throw new ApiError("ERR_FORBIDDEN");
    return caller.user;
  }

  async operator(request: FastifyRequest, roles: readonly OperatorRole[]): Promise<{ operatorId: string; role: OperatorRole }> {
    const caller = await this.resolve(request);
    if (caller.type !== "operator" || !roles.includes(caller.role)) throw new ApiError("ERR_FORBIDDEN");
    return caller;
  }

  async merchant(request: FastifyRequest): Promise<Merchant> {
    const caller = await this.resolve(request);
    if (caller.type !== "merchant") throw new ApiError("ERR_FORBIDDEN");
    return caller.merchant;
  }
}
