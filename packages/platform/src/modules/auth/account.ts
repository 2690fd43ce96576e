import type { Kysely } from "kysely";
import type { ApiErrorCode } from "../../errors/api-errors.js";
import type { AuditService } from "../audit/service.js";
import { decoyHash, hashPassword, meetsPasswordPolicy, verifyPassword } from "../parties/passwords.js";
import type { PartiesService, User } from "../parties/service.js";
import { credentialKind, type AuthService } from "./service.js";

export type AccountOutcome<T> = { ok: true; value: T } | { ok: false; code: Extract<ApiErrorCode, "ERR_PASSWORD_WEAK" | "ERR_LOGIN_LOCKED" | "ERR_CURRENT_PASSWORD_WRONG"> };

/** A logged-in user as a transport saw them: the session token they presented and where from (for the audit log). */
export interface SessionCaller { user: User; sessionToken: string; ip: string }

/**
 * What a person does with their own credentials: log out, change the password. Composes the auth
 * module's sessions and lockout, the parties module's password hash and the audit log. Passwords
 * are never logged or audited, only that a change happened or failed.
 */
export class AccountService {
  constructor(private readonly db: Kysely<any>, private readonly auth: AuthService, private readonly parties: PartiesService, private readonly audit: AuditService) {}

  /**
   * Ends the session of `token`, for users and operators alike. Idempotent: an unknown, expired
   * or already revoked token is not an error (as RFC 7009 §2.2 answers token revocation), so a
   * client can retry a logout whose answer it lost.
   */
  async logout(bearerSecret: string, ip: string): Promise<{ ok: true; value: { revoked: boolean } } | { ok: false; code: "ERR_UNAUTHENTICATED" | "ERR_FORBIDDEN" }> {
    const kind = credentialKind(bearerSecret);
    // A merchant's API key is not a session: it is revoked by managing the merchant's keys.
    if (kind === "api_key") return { ok: false, code: "ERR_FORBIDDEN" };
    if (kind !== "session") return { ok: false, code: "ERR_UNAUTHENTICATED" };
    const ended = await this.auth.revokeSession(bearerSecret);
    if (ended === undefined) return { ok: true, value: { revoked: false } };
    await this.audit.append({ actorType: ended.subjectType, actorId: ended.subjectId, action: "auth.logout", subject: `${ended.subjectType}:${ended.subjectId}`, details: { ip } });
    return { ok: true, value: { revoked: true } };
  }

  /**
   * Changes the caller's password. The new one must meet the sign-up policy; the current one must
   * be right, and a wrong one counts toward the login lockout of the user's MSISDN (ASVS 2.2.1),
   * so a stolen token cannot be used to guess the password. On success every other session of the
   * user ends in the same transaction as the change (ASVS 3.3.3); the calling session is kept, so
   * the client that made the change stays logged in.
   */
  async changePassword(caller: SessionCaller, input: { currentPassword: string; newPassword: string }): Promise<AccountOutcome<{ otherSessionsRevoked: number }>> {
    const { user } = caller;
    if (!meetsPasswordPolicy(input.newPassword)) return { ok: false, code: "ERR_PASSWORD_WEAK" };
    if (await this.auth.isLocked(user.msisdn)) return { ok: false, code: "ERR_LOGIN_LOCKED" };
    const storedHash = await this.parties.userPasswordHash(user.id);
    const valid = await verifyPassword(input.currentPassword, storedHash ?? (await decoyHash));
    if (storedHash === undefined || !valid) {
      await this.auth.recordFailure(user.msisdn);
      await this.audit.append({ actorType: "user", actorId: user.id, action: "auth.password_change_failed", subject: `msisdn:${user.msisdn}`, details: { ip: caller.ip } });
      return { ok: false, code: "ERR_CURRENT_PASSWORD_WRONG" };
    }
    const newHash = await hashPassword(input.newPassword);
    const revoked = await this.db.transaction().execute(async (trx) => {
      // A concurrent change that committed first makes the given current password stale.
      if (!(await this.parties.replaceUserPasswordHash(trx, user.id, storedHash, newHash))) return undefined;
      const count = await this.auth.revokeOtherSessions(trx, "user", user.id, caller.sessionToken);
      await this.audit.append({ actorType: "user", actorId: user.id, action: "auth.password_changed", subject: `msisdn:${user.msisdn}`, details: { ip: caller.ip, otherSessionsRevoked: count } }, trx);
      return count;
    });
    if (revoked === undefined) return { ok: false, code: "ERR_CURRENT_PASSWORD_WRONG" };
    await this.auth.clearFailures(user.msisdn);
    return { ok: true, value: { otherSessionsRevoked: revoked } };
  }
}
