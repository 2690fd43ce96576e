import { createHash, randomBytes } from "node:crypto";
import { sql, type Kysely } from "kysely";

export interface Session { subjectType: "user" | "operator"; subjectId: string; role: string | null; expiresAt: Date }

export interface AuthLimits {
  /** Lifetime of a login token. */
  sessionTtlMs: number;
  /** Failed logins for one login name within the window before it is locked. */
  loginFailuresMax: number;
  loginWindowMs: number;
  loginLockMs: number;
}

export const defaultAuthLimits: AuthLimits = {
  sessionTtlMs: 15 * 60_000,
  loginFailuresMax: 5,
  loginWindowMs: 15 * 60_000,
  loginLockMs: 15 * 60_000,
};

const tokenPrefix = "obol_at_";
const apiKeyPrefix = "obol_sk_";

/** What a bearer secret claims to be, by its prefix (before any lookup). */
export function credentialKind(secret: string): "session" | "api_key" | "unknown" {
  return secret.startsWith(tokenPrefix) ? "session" : secret.startsWith(apiKeyPrefix) ? "api_key" : "unknown";
}

function digest(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

/** Sessions for users and operators, API keys for merchants, lockout after failed logins. */
export class AuthService {
  constructor(private readonly db: Kysely<any>, private readonly clock: () => number, readonly limits: AuthLimits = defaultAuthLimits) {}

  async issueSession(subjectType: Session["subjectType"], subjectId: string, role: string | null): Promise<{ token: string; expiresAt: Date }> {
    const token = tokenPrefix + randomBytes(32).toString("base64url");
    const expiresAt = new Date(this.clock() + this.limits.sessionTtlMs);
    await sql`INSERT INTO auth_sessions (token_hash, subject_type, subject_id, role, expires_at)
              VALUES (${digest(token)}, ${subjectType}, ${subjectId}::uuid, ${role}, ${expiresAt})`.execute(this.db);
    return { token, expiresAt };
  }

  async session(token: string): Promise<Session | undefined> {
    if (!token.startsWith(tokenPrefix) || token.length > 128) return undefined;
    const rows = (await sql<{ subject_type: Session["subjectType"]; subject_id: string; role: string | null; expires_at: Date }>`
      SELECT subject_type, subject_id, role, expires_at FROM auth_sessions
      WHERE token_hash = ${digest(token)} AND expires_at > ${new Date(this.clock())}`.execute(this.db)).rows;
    const row = rows[0];
    return row === undefined ? undefined : { subjectType: row.subject_type, subjectId: row.subject_id, role: row.role, expiresAt: new Date(row.expires_at) };
  }

  /** Ends a session; the one it ended, or undefined when the token was unknown or already ended. */
  async revokeSession(token: string): Promise<{ subjectType: Session["subjectType"]; subjectId: string } | undefined> {
    if (!token.startsWith(tokenPrefix) || token.length > 128) return undefined;
    const rows = (await sql<{ subject_type: Session["subjectType"]; subject_id: string }>`
      DELETE FROM auth_sessions WHERE token_hash = ${digest(token)} RETURNING subject_type, subject_id`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : { subjectType: rows[0].subject_type, subjectId: rows[0].subject_id };
  }

  /** Ends every session of a subject except the one of `keepToken`, inside the caller's transaction; how many ended. */
  async revokeOtherSessions(executor: Kysely<any>, subjectType: Session["subjectType"], subjectId: string, keepToken: string): Promise<number> {
    const deleted = await sql`DELETE FROM auth_sessions
      WHERE subject_type = ${subjectType} AND subject_id = ${subjectId}::uuid AND token_hash <> ${digest(keepToken)}`.execute(executor);
    return Number(deleted.numAffectedRows ?? 0n);
  }

  /** A new API key for a merchant. The key is returned once and never stored. */
  async issueApiKey(merchantId: string, label: string): Promise<string> {
    const key = apiKeyPrefix + randomBytes(32).toString("base64url");
    await sql`INSERT INTO auth_api_keys (key_hash, merchant_id, label) VALUES (${digest(key)}, ${merchantId}::uuid, ${label})`.execute(this.db);
    return key;
  }

  async merchantForApiKey(key: string): Promise<string | undefined> {
    if (!key.startsWith(apiKeyPrefix) || key.length > 128) return undefined;
    const rows = (await sql<{ merchant_id: string }>`
      SELECT merchant_id FROM auth_api_keys WHERE key_hash = ${digest(key)} AND revoked_at IS NULL`.execute(this.db)).rows;
    return rows[0]?.merchant_id;
  }

  /** True while a login name is locked out after too many failures. */
  async isLocked(login: string): Promise<boolean> {
    const rows = (await sql<{ locked_until: Date | null }>`SELECT locked_until FROM auth_login_failures WHERE login = ${login}`.execute(this.db)).rows;
    const until = rows[0]?.locked_until;
    return until !== null && until !== undefined && new Date(until).getTime() > this.clock();
  }

  async recordFailure(login: string): Promise<void> {
    const now = new Date(this.clock());
    const windowStart = new Date(this.clock() - this.limits.loginWindowMs);
    const lockUntil = new Date(this.clock() + this.limits.loginLockMs);
    await sql`
      INSERT INTO auth_login_failures AS f (login, failures, window_started_at) VALUES (${login}, 1, ${now})
      ON CONFLICT (login) DO UPDATE SET
        failures = CASE WHEN f.window_started_at < ${windowStart} THEN 1 ELSE f.failures + 1 END,
        window_started_at = CASE WHEN f.window_started_at < ${windowStart} THEN ${now} ELSE f.window_started_at END,
        locked_until = CASE WHEN f.window_started_at >= ${windowStart} AND f.failures + 1 >= ${this.limits.loginFailuresMax}
                            THEN ${lockUntil} ELSE f.locked_until END`.execute(this.db);
  }

  async clearFailures(login: string): Promise<void> {
    await sql`DELETE FROM auth_login_failures WHERE login = ${login}`.execute(this.db);
  }

  /** Deletes expired sessions; run now and then. */
  async purgeExpired(): Promise<void> {
    await sql`DELETE FROM auth_sessions WHERE expires_at <= ${new Date(this.clock())}`.execute(this.db);
  }
}
