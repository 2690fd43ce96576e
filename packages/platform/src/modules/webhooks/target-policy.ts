import { BlockList, isIP } from "node:net";

/**
 * Which webhook URLs and addresses the platform will call (server-side request forgery defence,
 * Standard Webhooks "Server side request forgery (SSRF)"; OWASP SSRF prevention cheat sheet).
 *
 * A merchant chooses the URL, so without these rules a merchant could make the platform POST to
 * its own database port, an admin page on the internal network, or a cloud metadata service.
 * - The URL is checked when it is set (syntax, scheme, literal addresses, local names).
 * - Every address the name resolves to is checked again at each send, and the connection goes to
 *   the address that was checked (no second lookup a rebinding DNS server could answer
 *   differently).
 * - Addresses in `neverRanges` are refused always. Those in `privateRanges` are refused unless the
 *   policy allows private targets: production refuses them unless configured otherwise;
 *   development allows them so a local receiver works.
 */
export interface TargetPolicy {
  allowPrivateTargets: boolean;
}

export const urlCharsMax = 2048;

/** Unspecified, link-local (cloud metadata lives at 169.254.169.254), multicast, broadcast and reserved: no webhook is ever there. */
const neverRanges: Array<[string, number, "ipv4" | "ipv6"]> = [
  ["0.0.0.0", 8, "ipv4"], ["169.254.0.0", 16, "ipv4"], ["224.0.0.0", 4, "ipv4"], ["240.0.0.0", 4, "ipv4"],
  ["::", 128, "ipv6"], ["fe80::", 10, "ipv6"], ["ff00::", 8, "ipv6"],
];

/**
 * Loopback, private and the other special-purpose blocks of the IANA IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890): refused unless private targets are allowed.
 * IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) are matched against the IPv4 rules by BlockList.
 */
const privateRanges: Array<[string, number, "ipv4" | "ipv6"]> = [
  ["127.0.0.0", 8, "ipv4"], ["10.0.0.0", 8, "ipv4"], ["172.16.0.0", 12, "ipv4"], ["192.168.0.0", 16, "ipv4"],
  ["100.64.0.0", 10, "ipv4"], ["192.0.0.0", 24, "ipv4"], ["192.0.2.0", 24, "ipv4"], ["192.88.99.0", 24, "ipv4"],
  ["198.18.0.0", 15, "ipv4"], ["198.51.100.0", 24, "ipv4"], ["203.0.113.0", 24, "ipv4"],
  ["::1", 128, "ipv6"], ["::", 96, "ipv6"], ["64:ff9b::", 96, "ipv6"], ["64:ff9b:1::", 48, "ipv6"], ["100::", 64, "ipv6"],
  ["2001::", 23, "ipv6"], ["2001:db8::", 32, "ipv6"], ["2002::", 16, "ipv6"], ["fc00::", 7, "ipv6"], ["fec0::", 10, "ipv6"],
];

function blockList(ranges: Array<[string, number, "ipv4" | "ipv6"]>): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  return list;
}
const never = blockList(neverRanges);
const privateBlocks = blockList(privateRanges);

export type AddressClass = "public" | "private" | "never";

export function classifyAddress(address: string): AddressClass {
  const version = isIP(address);
  if (version === 0) throw new TypeError(`not an IP address: ${address}`);
  const family = version === 4 ? "ipv4" : "ipv6";
  if (never.check(address, family)) return "never";
  if (privateBlocks.check(address, family)) return "private";
  return "public";
}

export function isAddressAllowed(address: string, policy: TargetPolicy): boolean {
  const kind = classifyAddress(address);
  return kind === "public" || (kind === "private" && policy.allowPrivateTargets);
}

/** Names that resolve on the local host or network, whatever public DNS says (RFC 6761, RFC 6762, RFC 8375). */
function isLocalName(hostname: string): boolean {
  const name = hostname.replace(/\.$/, "");
  return !name.includes(".") || /(^|\.)(localhost|local|localdomain|internal|intranet|home\.arpa|lan)$/.test(name);
}

export type UrlCheck =
  | { ok: true; url: URL; /** the host without IPv6 brackets */ host: string }
  | { ok: false; code: "ERR_WEBHOOK_URL_INVALID" | "ERR_WEBHOOK_URL_FORBIDDEN"; reason: string };

/**
 * Checks a webhook URL: absolute http(s), printable ASCII, at most urlCharsMax characters, no
 * credentials (they would be stored and logged), no fragment, a real port, and a host the policy
 * allows. The URL is judged after WHATWG parsing, so `http://0x7f.1/`, `http://2130706433/` and
 * `http://[::ffff:7f00:1]/` are all seen as the loopback address they are. Names are not resolved
 * here (see the sender): a name that looks public may still be refused at send time.
 */
export function checkWebhookUrl(text: string, policy: TargetPolicy): UrlCheck {
  const invalid = (reason: string): UrlCheck => ({ ok: false, code: "ERR_WEBHOOK_URL_INVALID", reason });
  const forbidden = (reason: string): UrlCheck => ({ ok: false, code: "ERR_WEBHOOK_URL_FORBIDDEN", reason });
  if (text.length > urlCharsMax) return invalid(`longer than ${urlCharsMax} characters`);
  // WHATWG parsing silently drops tabs and newlines and trims controls; refuse them instead.
  if (!/^[\x21-\x7e]+$/.test(text)) return invalid("only printable ASCII without spaces (write international names in punycode)");
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid("not an absolute URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return invalid("the scheme must be http or https");
  if (url.username !== "" || url.password !== "") return invalid("credentials in the URL are not allowed");
  if (text.includes("#")) return invalid("a fragment is not allowed");
  if (url.port === "0") return invalid("port 0");
  if (url.href.length > urlCharsMax) return invalid(`longer than ${urlCharsMax} characters once normalized`);
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (host === "") return invalid("no host");
  if (isIP(host) !== 0) {
    return isAddressAllowed(host, policy) ? { ok: true, url, host } : forbidden(`${host} is a ${classifyAddress(host)} address`);
  }
  if (!policy.allowPrivateTargets && isLocalName(host)) return forbidden(`${host} is a local name`);
  return { ok: true, url, host };
}
