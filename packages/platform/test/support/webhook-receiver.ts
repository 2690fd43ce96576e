/**
 * A merchant's webhook receiver on loopback, for tests: a real HTTP server that records every
 * request (headers and exact body bytes) and answers as the test scripts it, per event and per
 * attempt of that event: a status, a connection reset, or silence until the sender gives up.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type Answer = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | "reset" | "hang";

export interface Received {
  eventId: string;
  /** 1 for the first request carrying this webhook-id, 2 for the second, … */
  attemptOfEvent: number;
  headers: IncomingHttpHeaders;
  body: string;
  path: string;
  /** Whatever the test's clock said when the request arrived (for timestamp checks). */
  clockAtReceipt: number;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  inFlight = 0;
  inFlightMax = 0;
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(answer: (request: { eventId: string; attemptOfEvent: number }) => Answer, clock: () => number = Date.now): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      receiver.inFlight += 1;
      receiver.inFlightMax = Math.max(receiver.inFlightMax, receiver.inFlight);
      response.on("close", () => (receiver.inFlight -= 1));
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => {
        const eventId = String(request.headers["webhook-id"] ?? "");
        const attemptOfEvent = receiver.received.filter((r) => r.eventId === eventId).length + 1;
        receiver.received.push({ eventId, attemptOfEvent, headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), path: request.url ?? "", clockAtReceipt: clock() });
        const scripted = answer({ eventId, attemptOfEvent });
        if (scripted === "hang") return;
        if (scripted === "reset") return void request.socket.destroy();
        const respond = () => response.writeHead(scripted.status, scripted.headers ?? {}).end(scripted.body ?? "");
        if (scripted.delayMs === undefined) respond();
        else setTimeout(respond, scripted.delayMs);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    receiver = new WebhookReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/obol`);
    return receiver;
  }

  forEvent(eventId: string): Received[] {
    return this.received.filter((r) => r.eventId === eventId);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
