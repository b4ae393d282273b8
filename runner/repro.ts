/**
 * The one-line reproduction of a failure, and its parser (for `conform replay`).
 *
 *   npx capos-conform replay --impl emulator --seed S --path P --property park.drain --elf <sha256> --schedule <id>
 *
 * It runs as printed in a checkout (after `npm ci`) and wherever the package is installed
 * (npx finds the package's own `bin` there).
 * `--mutant`, `--binding`, `--agent` and `--case-timeout` are added when the run used them. The line holds everything
 * fast-check needs to regenerate the shrunk case (seed + path) and everything the runner
 * needs to rebuild the implementation; the ELF hash and schedule id let replay verify it ran
 * the same bytes under the same schedule.
 */
export interface Repro {
  readonly impl: string;
  readonly seed: number;
  readonly path: string;
  /** fc.commands replayPath (command-based properties only). */
  readonly commandsPath?: string;
  readonly property: string;
  readonly elf?: string;
  readonly schedule?: string;
  readonly mutant?: string;
  readonly binding?: string;
  readonly agent?: string;
  /** Per-case wall-clock limit of a process implementation, e.g. "30s". */
  readonly caseTimeout?: string;
}

/** How a repro line starts. */
export const REPRO_COMMAND = "npx capos-conform replay";

function quote(s: string): string {
  return /^[\w.:/@=+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function formatRepro(r: Repro): string {
  const parts = [REPRO_COMMAND, `--impl ${quote(r.impl)}`, `--seed ${r.seed}`, `--path ${quote(r.path)}`, `--property ${r.property}`];
  if (r.commandsPath) parts.push(`--commands-path ${quote(r.commandsPath)}`);
  if (r.elf) parts.push(`--elf ${r.elf}`);
  if (r.schedule) parts.push(`--schedule ${r.schedule}`);
  if (r.mutant) parts.push(`--mutant ${r.mutant}`);
  if (r.binding) parts.push(`--binding ${quote(r.binding)}`);
  if (r.agent) parts.push(`--agent ${quote(r.agent)}`);
  if (r.caseTimeout) parts.push(`--case-timeout ${r.caseTimeout}`);
  return parts.join(" ");
}
