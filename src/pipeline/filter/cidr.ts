/**
 * IP address matching for `cidr`, with the address forms and mask rules of EventBridge's engine (event-ruler):
 * an IPv4 address is four dot-separated decimal numbers (leading zeros read as decimal), an IPv6 address holds
 * only hex digits and colons (no embedded IPv4), and a mask must leave at least one host bit (/0-/31, /0-/127).
 */
import { invalid } from "./errors.js";

export interface Cidr {
  /** 4 bytes for IPv4, 16 for IPv6. */
  network: Uint8Array;
  bits: number;
}

const IPV4 = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6 = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

export function compileCidr(text: string): Cidr {
  // Like Java's split("/"): trailing empty parts are dropped, so "10.0.0.0/" has no mask part.
  const parts = text.split("/");
  while (parts.length > 1 && parts.at(-1) === "") parts.pop();
  if (parts.length !== 2) throw invalid("Malformed CIDR, one '/' required");
  const [address, maskText] = parts as [string, string];
  if (!/^[+-]?\d+$/.test(maskText)) throw invalid("Malformed CIDR, mask bits must be an integer");
  const bits = Number(maskText);
  if (bits < 0) throw invalid("Malformed CIDR, mask bits must not be negative");
  let network: Uint8Array | undefined;
  if (IPV4.test(address)) network = parseIpv4(address);
  else if (IPV6.test(address)) network = parseIpv6(address);
  else throw invalid(`Nonstandard IP address: ${address}`);
  if (!network) throw invalid(`Invalid IP address: ${address}`);
  if (network.length === 4 && bits > 31) throw invalid("IPv4 mask bits must be < 32");
  if (network.length === 16 && bits > 127) throw invalid("IPv6 mask bits must be < 128");
  return { network, bits };
}

export function matchesCidr({ network, bits }: Cidr, value: string): boolean {
  const ip = parseIp(value);
  if (!ip || ip.length !== network.length) return false;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (ip[i] !== network[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((ip[whole] as number) & mask) === ((network[whole] as number) & mask);
}

/** The address as bytes, or undefined when it is not an IPv4 or IPv6 address in the forms above. */
export function parseIp(text: string): Uint8Array | undefined {
  if (IPV4.test(text)) return parseIpv4(text);
  if (IPV6.test(text)) return parseIpv6(text);
  return undefined;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(4);
  const parts = text.split(".");
  for (let i = 0; i < 4; i++) {
    const n = Number(parts[i]);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const count = head.length + tail.length;
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const words = [...head, ...Array<string>(8 - count).fill("0"), ...tail];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const word = words[i] as string;
    if (!/^[0-9a-fA-F]{1,4}$/.test(word)) return undefined;
    const n = Number.parseInt(word, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  return bytes;
}
