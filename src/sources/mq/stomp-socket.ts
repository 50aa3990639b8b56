/**
 * STOMP over TCP (and TLS) for @stomp/stompjs, handing every chunk read on as a view whose text form costs nothing.
 * The client builds a debug line for everything it receives, whether a debug callback reads it or not: with
 * `logRawCommunication`, the chunk as text (UTF-8 decoding every body, slow for binary ones); without, every
 * frame's headers written back out (about 3 µs a message). With raw logging on and these sockets, neither: the
 * parser copies the chunk's bytes as before.
 */
import type { Socket } from "node:net";
import tls from "node:tls";
import type { IStompSocketMessageEvent } from "@stomp/stompjs";
import { TCPWrapper } from "@stomp/tcp-wrapper";

/** A chunk read: its bytes, and a text form that says only how many there are. */
class Chunk extends Uint8Array {
  override toString(): string {
    return `(${this.byteLength} bytes)`;
  }
}

type OnMessage = (event: IStompSocketMessageEvent) => unknown;

export class StompTcpSocket extends TCPWrapper {
  constructor(host: string, port: number) {
    super(host, port);
    // The wrapper calls `this.onmessage` for each chunk; the client assigns it once connected.
    let wrapped: OnMessage = () => {};
    Object.defineProperty(this, "onmessage", {
      get: () => wrapped,
      set: (next: OnMessage) => {
        wrapped = (event) => {
          // Node's socket gives Buffers, whose memory is never shared.
          const data = event.data as unknown as Buffer;
          const view = new Chunk(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
          return next({ data: view as unknown as ArrayBuffer });
        };
      },
    });
  }
}

/** STOMP over TLS, for `stomp+ssl://` endpoints. */
export class StompTlsSocket extends StompTcpSocket {
  protected override getSocket(port: number, host: string): Socket {
    return tls.connect({ port, host, servername: host });
  }
}
