/**
 * Seeded bugs used to prove that conformance properties can fail. All off by default.
 *
 * To add one: append its name here, test `k.mutant === "<name>"` at the one place it changes
 * behaviour (mark that line `MUTANT <name>`), and add a row to the table in README.md.
 */
export const MUTANT_NAMES = ["lost-wake", "no-drain", "fs-not-restored", "tls-ignores-misalign", "protect-keeps-write"] as const;
export type MutantName = (typeof MUTANT_NAMES)[number];
