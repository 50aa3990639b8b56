/**
 * Preloaded (`node --import`) into an emulator that listens on every interface and has no option to say
 * otherwise (kinesis-local): its TCP listeners bind to loopback, so `sluice dev` opens nothing to the network.
 */
import net from "node:net";

const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
  const [first] = args;
  if (typeof first === "object" && first !== null && "port" in first && !("path" in first))
    args[0] = { ...first, host: "127.0.0.1" };
  else if (typeof first === "number") {
    const last = args.at(-1);
    args = [{ port: first, host: "127.0.0.1" }, ...(typeof last === "function" ? [last] : [])];
  }
  return listen.apply(this, args as Parameters<typeof listen>);
} as typeof listen;
