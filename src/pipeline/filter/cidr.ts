/** IP address matching for `cidr`: IPv4 and IPv6 networks, addresses parsed without regular expressions. */
import { invalid } from "./errors.js";

export interface Cidr {
  /** 4 bytes for IPv4, 16 for IPv6. */
  network: Uint8Array;
  bits: number;
}

export function compileCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  if (slash === -1 || slash !== text.lastIndexOf("/")) throw invalid("Malformed CIDR, one '/' required");
  const address = text.slice(0, slash);
  const maskText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(maskText)) throw invalid("Malformed CIDR, mask bits must be an integer");
  const network = parseIp(address);
  if (!network) throw invalid(`Nonstandard IP address: ${address}`);
  const bits = Number(maskText);
  if (bits > network.length * 8) throw invalid("Malformed CIDR, mask bits must be an integer");
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

/** The address as bytes, or undefined when it is not a standard IPv4 or IPv6 address. */
export function parseIp(text: string): Uint8Array | undefined {
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i] as string;
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
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
  // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
  const lastGroup = (tail.length > 0 ? tail : head).at(-1);
  let v4: Uint8Array | undefined;
  if (lastGroup?.includes(".")) {
    v4 = parseIpv4(lastGroup);
    if (!v4) return undefined;
    (tail.length > 0 ? tail : head).pop();
  }
  const count = head.length + tail.length + (v4 ? 2 : 0);
  if (halves.length === 1 ? count !== 8 : count > 7) return undefined;
  const words = [...head, ...Array<string>(8 - count).fill("0"), ...tail];
  const bytes = new Uint8Array(16);
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (!/^[0-9a-fA-F]{1,4}$/.test(word)) return undefined;
    const n = Number.parseInt(word, 16);
    bytes[i * 2] = n >> 8;
    bytes[i * 2 + 1] = n & 0xff;
  }
  if (v4) bytes.set(v4, 12);
  return bytes;
}
