import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, parseConfig } from "../../src/config/config.js";
import { FunctionRegistry } from "../../src/functions/registry.js";
import { tempDir } from "../helpers/sluice.js";

function configFile(text: string, name = "sluice.yaml"): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

describe("config file", () => {
  it("reads the SPEC's example, filling Lambda's defaults", () => {
    const file = configFile(`
region: eu-west-1
accountId: "123456789012"
functions:
  orders:
    handler: ./functions/orders.handler
    timeout: 30
    reservedConcurrency: 10
    environment: { TABLE: orders }
  audit:
    url: http://127.0.0.1:8080/invoke
  billing:
    arn: arn:aws:lambda:eu-west-1:123456789012:function:billing
brokers:
  "arn:aws:mq:us-east-1:000000000000:broker:orders:b-0001": { endpoints: ["amqp://127.0.0.1:5672"] }
secrets:
  "arn:aws:secretsmanager:us-east-1:000000000000:secret:mq": { username: guest, password: "\${MQ_PASSWORD}" }
`);
    const config = loadConfig(file, { MQ_PASSWORD: "s3cret" });
    expect(config.region).toBe("eu-west-1");
    expect(config.functions.orders).toMatchObject({ timeout: 30, memorySize: 128, reservedConcurrency: 10 });
    expect(config.functions.audit).toMatchObject({ timeout: 3, memorySize: 128 });
    expect(config.secrets["arn:aws:secretsmanager:us-east-1:000000000000:secret:mq"]?.password).toBe(
      "s3cret",
    );
    expect(config.baseDir).toBe(join(file, ".."));
  });

  it("reads JSON too, and defaults region and account", () => {
    const config = loadConfig(
      configFile('{"functions":{"f":{"url":"http://localhost:1/x"}}}', "sluice.json"),
    );
    expect(config.region).toBe("us-east-1");
    expect(config.accountId).toBe("000000000000");
  });

  const rejections: [string, string, string][] = [
    [
      "an unknown key",
      "functions:\n  f:\n    url: http://x/\n    timout: 3\n",
      'functions.f: Unrecognized key: "timout"',
    ],
    [
      "an unquoted account id",
      "accountId: 000000000000\n",
      "accountId: Invalid input: expected string, received number",
    ],
    [
      "a function with two targets",
      "functions:\n  f:\n    url: http://x/\n    arn: arn:aws:lambda:us-east-1:000000000000:function:f\n",
      "functions.f: set exactly one of handler, url or arn",
    ],
    [
      "a bad handler",
      "functions:\n  f:\n    handler: orders\n",
      'functions.f.handler: must be "<module path>.<export name>", e.g. ./functions/orders.handler',
    ],
    [
      "a timeout over 900 s",
      "functions:\n  f:\n    url: http://x/\n    timeout: 901\n",
      "functions.f.timeout: Too big: expected number to be <=900",
    ],
    [
      "a bad function name",
      "functions:\n  bad name:\n    url: http://x/\n",
      "functions.bad name: function names are 1-64 characters of a-z, A-Z, 0-9, - and _",
    ],
    [
      "a missing environment variable",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's own ${NAME} syntax
      'secrets:\n  arn:aws:secretsmanager:us-east-1:000000000000:secret:s: { password: "${NOPE}" }\n',
      "secrets.arn:aws:secretsmanager:us-east-1:000000000000:secret:s.password: environment variable NOPE is not set",
    ],
  ];
  for (const [name, text, message] of rejections) {
    it(`rejects ${name} with the path of the key`, () => {
      const file = configFile(text);
      expect(() => loadConfig(file, {})).toThrow(new ConfigError(`${file}: ${message}`));
    });
  }

  it("names a missing file", () => {
    expect(() => loadConfig("/nonexistent/sluice.yaml")).toThrow(
      "/nonexistent/sluice.yaml: config file not found",
    );
  });
});

describe("function registry", () => {
  const registry = FunctionRegistry.fromConfig(
    parseConfig(
      { region: "us-east-1", accountId: "111122223333", functions: { orders: { url: "http://x/" } } },
      "/",
    ),
  );

  it("resolves names, partial and full ARNs, keeping the qualifier", () => {
    expect(registry.resolve("orders")?.arn).toBe("arn:aws:lambda:us-east-1:111122223333:function:orders");
    expect(registry.resolve("orders:prod")?.arn).toBe(
      "arn:aws:lambda:us-east-1:111122223333:function:orders:prod",
    );
    expect(registry.resolve("111122223333:function:orders")?.qualifier).toBeUndefined();
    expect(registry.resolve("arn:aws:lambda:us-east-1:111122223333:function:orders:$LATEST")?.qualifier).toBe(
      "$LATEST",
    );
  });

  it("does not resolve other regions, accounts, unknown names or over-long names", () => {
    expect(registry.resolve("arn:aws:lambda:eu-west-1:111122223333:function:orders")).toBeUndefined();
    expect(registry.resolve("999999999999:function:orders")).toBeUndefined();
    expect(registry.resolve("refunds")).toBeUndefined();
    expect(registry.resolve("constructor")).toBeUndefined();
    expect(registry.resolve("x".repeat(65))).toBeUndefined();
  });
});
