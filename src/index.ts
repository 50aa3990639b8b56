/** Sluice as a library: start it in-process, or use its parts. */
export { loadConfig, parseConfig, type SluiceConfig } from "./config/config.js";
export { createSluice, type Sluice, type SluiceOptions } from "./sluice.js";
