import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { describe, expect, it } from "vitest";
import { StompTcpSocket } from "../../../src/sources/mq/stomp-socket.js";

describe("StompTcpSocket", () => {
  it("hands each chunk on with its bytes, and a text form that does not decode them", async () => {
    const bytes = Buffer.from([0x4d, 0x45, 0x53, 0x53, 0x41, 0x47, 0x45, 0x0a, 0xff, 0xfe, 0x00]);
    const server = createServer((peer: Socket) => peer.end(bytes));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as { port: number };
    const socket = new StompTcpSocket("127.0.0.1", port);
    const received: Uint8Array[] = [];
    const texts: string[] = [];
    // As the STOMP client does once connected: it logs `${data}`, then parses new Uint8Array(data).
    socket.onmessage = (event) => {
      texts.push(`${event.data}`);
      received.push(new Uint8Array(event.data as ArrayBuffer));
    };
    const closed = new Promise<void>((resolve) => {
      socket.onclose = () => resolve();
    });
    await closed;
    server.close();
    expect(Buffer.concat(received)).toEqual(bytes);
    expect(texts.join("")).toMatch(/^(\(\d+ bytes\))+$/);
  });
});
