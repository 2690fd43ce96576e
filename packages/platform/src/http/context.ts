import type { Kysely } from "kysely";
import type { AuditService } from "../modules/audit/service.js";
import type { AuthService } from "../modules/auth/service.js";
import type { AccountService } from "../modules/auth/account.js";
import type { RequestSigning } from "../modules/auth/request-signing.js";
import type { WalletChannel } from "../modules/channel/service.js";
import type { ChannelStore } from "../modules/channel/store.js";
import type { PkiService } from "../modules/pki/service.js";
import type { PaymentsService, ProductsService, PurchasesService } from "../modules/payments/index.js";
import type { IdempotencyService } from "../modules/idempotency/service.js";
import type { LedgerService } from "../modules/ledger/index.js";
import type { PartiesService } from "../modules/parties/service.js";
import type { WalletService } from "../modules/wallet/service.js";
import type { NotificationsService } from "../modules/notifications/service.js";
import type { WebhooksService } from "../modules/webhooks/service.js";
import type { BankingService } from "../modules/banking/service.js";
import type { SettlementService } from "../modules/settlement/service.js";
import type { EcashService } from "../modules/ecash/service.js";
import type { CallerResolver } from "./caller.js";

/** What routes may call: module services, never tables. */
export interface RouteContext {
  db: Kysely<any>;
  ledger: LedgerService;
  parties: PartiesService;
  auth: AuthService;
  /** Logout and password change (modules/auth/account.ts). */
  account: AccountService;
  /** Merchants' optional request signatures (modules/auth/request-signing.ts). */
  requestSigning: RequestSigning;
  idempotency: IdempotencyService;
  wallet: WalletService;
  audit: AuditService;
  pki: PkiService;
  channel: ChannelStore;
  walletChannel: WalletChannel;
  payments: PaymentsService;
  products: ProductsService;
  purchases: PurchasesService;
  callers: CallerResolver;
  notifications: NotificationsService;
  webhooks: WebhooksService;
  /** False while starting or shutting down: /ready answers 503. */
  isAcceptingWork: () => boolean;
  /** Bank account links and durable bank operations (modules/banking). */
  banking: BankingService;
  /** Settlement batches and their reports (modules/settlement). */
  settlement: SettlementService;
  ecash: EcashService;
}
