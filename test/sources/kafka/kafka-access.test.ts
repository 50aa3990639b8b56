/**
 * What Sluice makes of a Kafka mapping's SourceAccessConfigurations and secrets. The mock cluster speaks neither
 * SASL nor TLS, so the TLS settings are tried against a real TLS endpoint made here: it sees the client
 * certificate Sluice presents, and refuses or is refused as a broker with a wrong certificate would be. SASL is
 * checked as far as the client configuration Sluice builds.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kafkaAccess } from "../../../src/sources/kafka/kafka-access.js";
import { kafkaProblem } from "../../../src/sources/kafka/kafka-errors.js";

const SECRET = (name: string) => `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`;
const SERVERS = {
  SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ["k1:9092", "k2:9092"] } },
};

const access = (types: Record<string, string>, secrets: Record<string, Record<string, string>>) =>
  kafkaAccess(
    {
      ...SERVERS,
      Topics: ["orders"],
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: "g1" },
      SourceAccessConfigurations: Object.entries(types).map(([Type, name]) => ({ Type, URI: SECRET(name) })),
    },
    { brokers: {}, secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [SECRET(k), v])) },
  );

describe("Kafka access", () => {
  it("turns BASIC_AUTH and SASL/SCRAM secrets into SASL over TLS, as AWS connects", () => {
    const user = { username: "u", password: "p" };
    expect(access({ BASIC_AUTH: "s" }, { s: user }).connection).toEqual({
      brokers: ["k1:9092", "k2:9092"],
      sasl: { mechanism: "plain", ...user },
      ssl: true,
    });
    expect(access({ SASL_SCRAM_256_AUTH: "s" }, { s: user }).connection.sasl?.mechanism).toBe(
      "scram-sha-256",
    );
    expect(access({ SASL_SCRAM_512_AUTH: "s" }, { s: user }).connection.sasl?.mechanism).toBe(
      "scram-sha-512",
    );
  });

  it("names the group, topic and event source of a self-managed mapping", () => {
    expect(access({}, {})).toMatchObject({
      connection: { brokers: ["k1:9092", "k2:9092"] },
      topic: "orders",
      groupId: "g1",
      eventSource: "SelfManagedKafka",
      eventSourceArn: undefined,
      bootstrapServers: "k1:9092,k2:9092",
    });
  });

  it("rejects a secret the config file lacks, or lacks a field of, with ESM_CONFIG_NOT_VALID", () => {
    expect(() => access({ BASIC_AUTH: "missing" }, {})).toThrow(
      /BASIC_AUTH secret .*missing is not in the config/,
    );
    expect(() => access({ CLIENT_CERTIFICATE_TLS_AUTH: "c" }, { c: { certificate: "x" } })).toThrow(
      /with certificate and privateKey/,
    );
    try {
      access({ BASIC_AUTH: "missing" }, {});
    } catch (err) {
      expect(kafkaProblem(err).code).toBe("ESM_CONFIG_NOT_VALID");
    }
  });

  it("reads an MSK cluster's bootstrap servers from brokers:, and names it in events", () => {
    const arn = "arn:aws:kafka:us-east-1:000000000000:cluster/c/1";
    const found = kafkaAccess(
      { EventSourceArn: arn, Topics: ["t"], AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: "g" } },
      { brokers: { [arn]: { bootstrapServers: ["b1:9092"] } }, secrets: {} },
    );
    expect(found).toMatchObject({
      eventSource: "aws:kafka",
      eventSourceArn: arn,
      groupId: "g",
      bootstrapServers: "b1:9092",
    });
  });

  it("words authentication failures as AWS's LastProcessingResult does", () => {
    const sasl = Object.assign(new Error("SASL PLAIN authentication failed"), {
      name: "KafkaJSSASLAuthenticationError",
    });
    expect(kafkaProblem(sasl)).toEqual({
      reason: "SASL authentication failed",
      code: "EVENT_SOURCE_AUTHN_ERROR",
    });
    const denied = Object.assign(new Error("Not authorized"), { type: "TOPIC_AUTHORIZATION_FAILED" });
    const wrappedKey = new Error("Failed to connect: error:1E08010C:DECODER routines::unsupported");
    expect(kafkaProblem(wrappedKey).reason).toBe("Provided certificate or private key is invalid");
    expect(kafkaProblem(new Error("wrapped", { cause: denied }))).toEqual({
      reason: "Cluster failed to authorize Lambda",
      code: "EVENT_SOURCE_AUTHZ_ERROR",
    });
  });
});

describe("Kafka TLS against a real TLS endpoint", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "sluice-kafka-tls-"));
  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => readFileSync(file(name), "utf8");
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  /** A CA, and a certificate it signs for `name` (PKCS#8 key, as AWS's secrets carry). */
  const ca = (name: string) =>
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
    );
  const signed = (name: string, by: string, ext: string) => {
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      `/CN=${name}`,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
    );
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${by}.pem`,
      "-CAkey",
      `${by}.key`,
      "-CAcreateserial",
      "-days",
      "2",
      "-extfile",
      ext,
      "-out",
      `${name}.pem`,
    );
  };
  let server: tls.Server;
  let port = 0;
  const clientNames: string[] = [];

  beforeAll(async () => {
    ca("private-ca");
    ca("other-ca");
    execFileSync("sh", [
      "-c",
      `printf 'subjectAltName=IP:127.0.0.1\\n' > ${file("server.ext")}; printf 'extendedKeyUsage=clientAuth\\n' > ${file("client.ext")}`,
    ]);
    signed("broker", "private-ca", file("server.ext"));
    signed("sluice-client", "private-ca", file("client.ext"));
    server = tls.createServer(
      {
        key: read("broker.key"),
        cert: read("broker.pem"),
        ca: read("private-ca.pem"),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (socket) => {
        clientNames.push(String(socket.getPeerCertificate().subject?.CN));
        socket.destroy();
      },
    );
    server.on("tlsClientError", () => {});
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => {
    server.close();
  });

  /**
   * Opens a TLS connection with the options the mapping's settings give the Kafka client (it hands them to
   * tls.connect as they are); resolves with the error the handshake ended with, if any.
   */
  async function connectWith(types: Record<string, string>, secrets: Record<string, Record<string, string>>) {
    const { ssl } = kafkaAccess(
      {
        SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: [`127.0.0.1:${port}`] } },
        Topics: ["t"],
        SourceAccessConfigurations: Object.entries(types).map(([Type, name]) => ({
          Type,
          URI: SECRET(name),
        })),
      },
      { brokers: {}, secrets: Object.fromEntries(Object.entries(secrets).map(([k, v]) => [SECRET(k), v])) },
    ).connection;
    return new Promise<unknown>((resolve) => {
      try {
        const socket = tls.connect({ host: "127.0.0.1", port, ...(ssl === true ? {} : ssl) });
        socket.on("error", resolve);
        socket.on("close", () => resolve(undefined));
        socket.on("secureConnect", () => socket.on("data", () => {}));
      } catch (err) {
        resolve(err);
      }
    });
  }

  it("presents the client certificate and trusts the private CA", async () => {
    await connectWith(
      { CLIENT_CERTIFICATE_TLS_AUTH: "client", SERVER_ROOT_CA_CERTIFICATE: "ca" },
      {
        client: { certificate: read("sluice-client.pem"), privateKey: read("sluice-client.key") },
        ca: { certificate: read("private-ca.pem") },
      },
    );
    expect(clientNames).toContain("sluice-client");
  });

  it("reports a broker whose certificate it cannot trust as 'Lambda failed to authenticate server'", async () => {
    const err = await connectWith(
      { CLIENT_CERTIFICATE_TLS_AUTH: "client", SERVER_ROOT_CA_CERTIFICATE: "ca" },
      {
        client: { certificate: read("sluice-client.pem"), privateKey: read("sluice-client.key") },
        ca: { certificate: read("other-ca.pem") },
      },
    );
    expect(kafkaProblem(err)).toEqual({
      reason: "Lambda failed to authenticate server",
      code: "EVENT_SOURCE_AUTHN_ERROR",
    });
  });

  it("reports a private key that does not parse as 'Provided certificate or private key is invalid'", async () => {
    const err = await connectWith(
      { CLIENT_CERTIFICATE_TLS_AUTH: "client", SERVER_ROOT_CA_CERTIFICATE: "ca" },
      {
        client: {
          certificate: read("sluice-client.pem"),
          privateKey: "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----",
        },
        ca: { certificate: read("private-ca.pem") },
      },
    );
    expect(kafkaProblem(err).reason).toBe("Provided certificate or private key is invalid");
  });
});
