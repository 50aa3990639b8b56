// The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as MongoDB runs it over saslStart/saslContinue.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";

/** MongoDB's default for SCRAM-SHA-256, and the least the driver accepts. */
const ITERATIONS = 15_000;

/** What a server keeps of a password (RFC 5802 §3): enough to check a proof, not to make one. */
export interface Credential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

const sha256 = (data: Buffer): Buffer => createHash("sha256").update(data).digest();
const hmac = (key: Buffer, text: string): Buffer => createHmac("sha256", key).update(text).digest();

export function makeCredential(password: string): Credential {
  const salt = randomBytes(28);
  // The driver SASLprep's the password; NFKC is SASLprep for the ASCII passwords tests use.
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, ITERATIONS, 32, "sha256");
  return { salt, storedKey: sha256(hmac(salted, "Client Key")), serverKey: hmac(salted, "Server Key") };
}

/** One exchange: saslStart brings the client-first message, saslContinue the client-final one. */
export class ScramConversation {
  private constructor(
    readonly user: string,
    private readonly credential: Credential,
    private readonly clientFirstBare: string,
    readonly serverFirst: string,
    private readonly nonce: string,
  ) {}

  /** Starts on "n,,n=<user>,r=<client nonce>" (no channel binding); undefined for an unknown user. */
  static start(clientFirst: string, users: Map<string, Credential>): ScramConversation | undefined {
    const match = /^n,,(n=([^,]*),r=([^,]+))$/.exec(clientFirst);
    if (!match) return undefined;
    const [, bare = "", name = "", clientNonce = ""] = match;
    const user = name.replaceAll("=2C", ",").replaceAll("=3D", "=");
    const credential = users.get(user);
    if (!credential) return undefined;
    const nonce = clientNonce + randomBytes(18).toString("base64");
    const serverFirst = `r=${nonce},s=${credential.salt.toString("base64")},i=${ITERATIONS}`;
    return new ScramConversation(user, credential, bare, serverFirst, nonce);
  }

  /** Checks "c=biws,r=<nonce>,p=<proof>"; returns the server-final "v=<signature>", or undefined if wrong. */
  finish(clientFinal: string): string | undefined {
    const match = /^(c=biws,r=([^,]+)),p=([^,]+)$/.exec(clientFinal);
    if (!match || match[2] !== this.nonce) return undefined;
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${match[1]}`;
    // proof = ClientKey XOR HMAC(StoredKey, AuthMessage); the key it gives back must hash to StoredKey.
    const proof = Buffer.from(match[3] ?? "", "base64");
    const signature = hmac(this.credential.storedKey, authMessage);
    if (proof.length !== signature.length) return undefined;
    const clientKey = Buffer.from(proof.map((byte, i) => byte ^ (signature[i] as number)));
    if (!timingSafeEqual(sha256(clientKey), this.credential.storedKey)) return undefined;
    return `v=${hmac(this.credential.serverKey, authMessage).toString("base64")}`;
  }
}
