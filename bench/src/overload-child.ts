/**
 * Child process for the memory suite: RSS is per process, so the overload runs in a fresh one
 * (no heap left over from earlier suites). Args: one JSON OverloadOptions; reports over IPC.
 */
import { type OverloadOptions, runOverload } from "./overload.js";

const options = JSON.parse(process.argv[2] ?? "") as OverloadOptions;
const result = await runOverload(options, (message) => process.send?.({ progress: message }));
process.send?.({ result }, () => process.exit(0));
