#!/usr/bin/env node
/**
 * The capos-conform command (package.json `bin`, compiled to dist/tools/conform.js by
 * `npm run build`). Commands and options: tools/cli/program.ts; exit statuses:
 * tools/cli/exit-status.ts; each command's work: tools/cli/<command>.ts, loaded when it runs.
 */
import { main } from "./cli/main.js";
import { endQuietlyWhenStdoutCloses } from "./cli/stdout-closed.js";

endQuietlyWhenStdoutCloses();

process.exitCode = await main(process.argv);
