// MongoDB wire-protocol framing: the 16-byte message header, OP_QUERY/OP_REPLY (only the driver's first
// handshake on a connection uses them) and OP_MSG (everything else).
import { BSON, type Document } from "mongodb";

export const OP_REPLY = 1;
export const OP_QUERY = 2004;
export const OP_MSG = 2013;
const CHECKSUM_PRESENT = 1;
const MORE_TO_COME = 2;
/** hello's maxMessageSizeBytes: no well-behaved client sends more in one message. */
export const MAX_MESSAGE_SIZE = 48_000_000;

// promoteValues: false keeps every BSON type (Int32 vs Double vs Long) so stored documents come back as sent.
const READ = { promoteValues: false } as const;
// Replies leave out fields set to undefined instead of writing them as null.
const WRITE = { ignoreUndefined: true } as const;

export interface Request {
  requestId: number;
  opCode: number;
  db: string;
  command: Document;
  /** OP_MSG moreToCome: the client expects no reply (an unacknowledged write). */
  moreToCome: boolean;
}

/** Cuts a TCP byte stream into whole messages: one may arrive in many chunks, or several in one chunk. */
export class MessageReader {
  private chunks: Buffer[] = [];
  private size = 0;

  /** Returns the messages completed by `chunk`; throws on a length no MongoDB client would send. */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.size += chunk.length;
    const messages: Buffer[] = [];
    while (this.size >= 4) {
      // Copy only when the length prefix is split, or when a whole message is there (not per chunk).
      if ((this.chunks[0] as Buffer).length < 4) this.chunks = [Buffer.concat(this.chunks)];
      const first = this.chunks[0] as Buffer;
      const length = first.readInt32LE(0);
      if (length < 16 || length > MAX_MESSAGE_SIZE) throw new Error(`bad message length ${length}`);
      if (this.size < length) break;
      const all = this.chunks.length === 1 ? first : Buffer.concat(this.chunks);
      messages.push(all.subarray(0, length));
      const rest = all.subarray(length);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.size = rest.length;
    }
    return messages;
  }
}

function readDocument(message: Buffer, at: number): Document {
  return BSON.deserialize(message.subarray(at, at + message.readInt32LE(at)), READ);
}

/** Parses an OP_QUERY or OP_MSG command; undefined for any other opCode (e.g. OP_COMPRESSED, never
 * sent since hello offers no compressors). */
export function parseRequest(message: Buffer): Request | undefined {
  const requestId = message.readInt32LE(4);
  const opCode = message.readInt32LE(12);
  if (opCode === OP_QUERY) {
    // flags, fullCollectionName ("admin.$cmd"), numberToSkip, numberToReturn, query
    const nsEnd = message.indexOf(0, 20);
    const ns = message.toString("utf8", 20, nsEnd);
    const query = readDocument(message, nsEnd + 9);
    // The driver wraps a command in $query only to add $readPreference for mongos.
    const command = typeof query.$query === "object" ? (query.$query as Document) : query;
    return { requestId, opCode, db: ns.slice(0, ns.indexOf(".")), command, moreToCome: false };
  }
  if (opCode !== OP_MSG) return undefined;
  const flags = message.readUInt32LE(16);
  const end = flags & CHECKSUM_PRESENT ? message.length - 4 : message.length;
  let command: Document | undefined;
  const sequences: [string, Document[]][] = [];
  for (let at = 20; at < end; ) {
    const kind = message[at++];
    const size = message.readInt32LE(at);
    if (kind === 0) {
      command = readDocument(message, at);
    } else if (kind === 1) {
      // A document sequence: size, identifier (cstring), documents; it stands for the body field `identifier`.
      const idEnd = message.indexOf(0, at + 4);
      const documents: Document[] = [];
      for (let doc = idEnd + 1; doc < at + size; doc += message.readInt32LE(doc)) {
        documents.push(readDocument(message, doc));
      }
      sequences.push([message.toString("utf8", at + 4, idEnd), documents]);
    } else {
      throw new Error(`unknown OP_MSG section kind ${kind}`);
    }
    at += size;
  }
  if (!command) throw new Error("OP_MSG without a body section");
  for (const [field, documents] of sequences) command[field] = documents;
  const db = typeof command.$db === "string" ? command.$db : "admin";
  return { requestId, opCode, db, command, moreToCome: (flags & MORE_TO_COME) !== 0 };
}

/** Encodes `reply` in the opCode family of `request`: OP_REPLY for OP_QUERY, else OP_MSG. */
export function encodeReply(request: Request, requestId: number, reply: Document): Buffer {
  const body = BSON.serialize(reply, WRITE);
  const legacy = request.opCode === OP_QUERY;
  // OP_REPLY: responseFlags, cursorID (int64), startingFrom, numberReturned. OP_MSG: flagBits, section kind 0.
  const head = Buffer.alloc(legacy ? 36 : 21);
  head.writeInt32LE(head.length + body.length, 0);
  head.writeInt32LE(requestId, 4);
  head.writeInt32LE(request.requestId, 8);
  head.writeInt32LE(legacy ? OP_REPLY : OP_MSG, 12);
  if (legacy) head.writeInt32LE(1, 32);
  return Buffer.concat([head, body]);
}
