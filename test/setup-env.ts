// Every AWS SDK client made in a test process (Sluice's and the tests' own) talks to the local emulators.
import { awsEnv } from "./services/endpoints.js";

Object.assign(process.env, awsEnv);
process.env.SLUICE_LOG_LEVEL ??= "warn";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
