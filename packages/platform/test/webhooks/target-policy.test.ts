import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { checkWebhookUrl, classifyAddress, urlCharsMax } from "../../src/modules/webhooks/target-policy.js";
import { sendWebhook, type Resolver } from "../../src/modules/webhooks/sender.js";

const deny = { allowPrivateTargets: false };
const allow = { allowPrivateTargets: true };

test("address classes: public, private (loopback, RFC 1918, ULA, CGNAT, documentation, NAT64, 6to4, IPv4-mapped), never (link-local, metadata, unspecified, multicast)", () => {
  const expected: Record<string, string> = {
    "93.184.216.34": "public", "8.8.8.8": "public", "2606:4700:4700::1111": "public", "::ffff:8.8.8.8": "public",
    "127.0.0.1": "private", "127.255.255.254": "private", "10.1.2.3": "private", "172.16.0.1": "private", "172.31.255.255": "private",
    "192.168.1.1": "private", "100.64.0.1": "private", "198.18.0.1": "private", "192.0.2.1": "private", "::1": "private",
    "fd00::1": "private", "fc00::1": "private", "::ffff:127.0.0.1": "private", "::ffff:7f00:1": "private", "::ffff:10.0.0.1": "private",
    "64:ff9b::a00:1": "private", "2002:7f00:1::": "private", "2001:db8::1": "private", "::127.0.0.1": "private",
    "169.254.169.254": "never", "169.254.0.1": "never", "0.0.0.0": "never", "0.1.2.3": "never", "::": "never", "fe80::1": "never",
    "224.0.0.1": "never", "255.255.255.255": "never", "ff02::1": "never", "::ffff:169.254.169.254": "never",
  };
  for (const [address, kind] of Object.entries(expected)) assert.equal(classifyAddress(address), kind, address);
  assert.equal(classifyAddress("172.32.0.1"), "public", "just outside 172.16/12");
  assert.throws(() => classifyAddress("localhost"), TypeError);
});

test("hostile URLs are refused with a reason; WHATWG normalization cannot smuggle loopback past the check", () => {
  const invalid = [
    "", "not a url", "/relative/path", "ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)",
    "data:text/plain,hi", "ws://example.com/", "https://user:pass@example.com/", "https://user@example.com/", "https://example.com/#frag",
    "https://example.com:0/", "https://exa mple.com/", "https://example.com/\npath", "https://example.com/\tx", " https://example.com/",
    "https://例え.jp/", "https://example.com/\u0000", `https://example.com/${"a".repeat(urlCharsMax)}`, "https://", "http://:80/",
    "https://example.com:99999/",
  ];
  for (const url of invalid) {
    const checked = checkWebhookUrl(url, allow);
    assert.equal(checked.ok, false, JSON.stringify(url));
    assert.equal((checked as { code: string }).code, "ERR_WEBHOOK_URL_INVALID", JSON.stringify(url));
  }
  const forbiddenWhenDenying = [
    "http://127.0.0.1/", "http://127.1/", "http://0x7f.1/", "http://2130706433/", "http://0177.0.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://10.0.0.5:8080/hook", "http://192.168.0.10/", "http://[fd12::1]/", "http://localhost/", "http://LOCALHOST./", "http://api.localhost/",
    "http://%6c%6fcalhost/", "http://printer.local/", "http://db.internal/", "http://intranet/", "http://router.home.arpa/",
  ];
  for (const url of forbiddenWhenDenying) {
    const checked = checkWebhookUrl(url, deny);
    assert.equal(checked.ok, false, url);
    assert.equal((checked as { code: string }).code, "ERR_WEBHOOK_URL_FORBIDDEN", url);
    assert.equal(checkWebhookUrl(url, allow).ok, true, `${url} is allowed when private targets are`);
  }
  for (const url of ["http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://0.0.0.0/", "http://0/", "http://224.0.0.1/", "http://[::]/"]) {
    const checked = checkWebhookUrl(url, allow);
    assert.equal(checked.ok, false, url);
    assert.equal((checked as { code: string }).code, "ERR_WEBHOOK_URL_FORBIDDEN", `${url} is refused even when private targets are allowed`);
  }
  const fine = checkWebhookUrl("https://Shop.Example.com:8443/obol/hooks?tenant=7", deny);
  assert.ok(fine.ok);
  assert.equal(fine.url.href, "https://shop.example.com:8443/obol/hooks?tenant=7");
  assert.ok(checkWebhookUrl("https://xn--r8jz45g.jp/", deny).ok, "international names in punycode");
  assert.ok(checkWebhookUrl("http://93.184.216.34/", deny).ok);
});

let server: Server;
let port: number;
let requests: Array<{ host: string | undefined; body: string }> = [];

before(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => (body += chunk));
    request.on("end", () => {
      requests.push({ host: request.headers.host, body });
      response.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const send = (url: string, policy: { allowPrivateTargets: boolean }, resolve: Resolver) =>
  sendWebhook({ url, headers: {}, body: "{}", timeoutMs: 2_000, responseBytesMax: 64, policy, resolve });

test("send time: a public-looking name that resolves to a private address (DNS rebinding) is refused before any connection", async () => {
  requests = [];
  const rebinding: Resolver = async () => [{ address: "127.0.0.1", family: 4 }];
  const refused = await send(`http://hooks.example.com:${port}/`, deny, rebinding);
  assert.equal(refused.ok, false);
  assert.equal(refused.errorClass, "target_refused");
  const mixed: Resolver = async () => [{ address: "93.184.216.34", family: 4 }, { address: "10.0.0.1", family: 4 }];
  assert.equal((await send(`http://hooks.example.com:${port}/`, deny, mixed)).errorClass, "target_refused", "one private address among public ones refuses the name");
  const metadata: Resolver = async () => [{ address: "169.254.169.254", family: 4 }];
  assert.equal((await send(`http://hooks.example.com:${port}/`, allow, metadata)).errorClass, "target_refused");
  assert.equal((await send(`http://127.0.0.1:${port}/`, deny, rebinding)).errorClass, "target_refused", "a literal is checked too");
  assert.equal((await send("http://hooks.example.com/", deny, async () => { throw Object.assign(new Error("nx"), { code: "ENOTFOUND" }); })).errorClass, "dns");
  assert.equal((await send("http://hooks.example.com/", deny, async () => [])).errorClass, "dns");
  assert.equal(requests.length, 0, "nothing reached the server");
});

test("send time: the connection goes to the address that was checked, with the URL's host name", async () => {
  requests = [];
  let lookups = 0;
  const resolver: Resolver = async (hostname) => {
    lookups += 1;
    assert.equal(hostname, "hooks.example.com");
    return [{ address: "127.0.0.1", family: 4 }];
  };
  const sent = await send(`http://hooks.example.com:${port}/path?q=1`, allow, resolver);
  assert.equal(sent.ok, true, JSON.stringify(sent));
  assert.equal(sent.statusCode, 200);
  assert.equal(sent.responseExcerpt, "ok");
  assert.equal(lookups, 1, "one lookup: the socket does not resolve the name again");
  assert.deepEqual(requests, [{ host: `hooks.example.com:${port}`, body: "{}" }]);
});
