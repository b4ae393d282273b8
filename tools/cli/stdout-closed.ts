/**
 * When stdout's reader goes away early (`capos-conform list | head -1`), the command ends
 * quietly with EXIT.stdoutClosed, as SIGPIPE ends a C tool. Node ignores SIGPIPE, so the
 * next write fails with EPIPE instead, and an 'error' event with no listener crashed the
 * command with a stack trace.
 *
 * process.stdout is made on first use, and making it loads Node's stream modules, which
 * run-elf avoids by writing to fd 1 itself (emulator/capos/cli.ts): so the listener is
 * attached when something first asks for process.stdout, through process's own lazy getter,
 * which is put back at once. For the bins only (tools/conform.ts, tools/cli/bundle-loader.ts),
 * never for main() called in process.
 */
import { EXIT } from "./exit-status.js";

export function endQuietlyWhenStdoutCloses(): void {
  const own = Object.getOwnPropertyDescriptor(process, "stdout");
  if (own?.get === undefined || !own.configurable) {
    process.stdout.on("error", onStdoutError);
    return;
  }
  const makeStdout = own.get;
  Object.defineProperty(process, "stdout", {
    configurable: true,
    enumerable: own.enumerable ?? true,
    get() {
      Object.defineProperty(process, "stdout", own);
      const stdout = makeStdout.call(process) as NodeJS.WriteStream;
      stdout.on("error", onStdoutError);
      return stdout;
    },
  });
}

function onStdoutError(e: NodeJS.ErrnoException): void {
  if (e.code === "EPIPE") process.exit(EXIT.stdoutClosed);
  throw e;
}
