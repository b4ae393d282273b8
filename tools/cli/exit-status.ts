/**
 * The exit statuses every capos-conform command uses (run-elf passes the guest's own status
 * through instead, see its help). Documented in README.md and in `capos-conform --help`.
 */
export const EXIT = {
  /** Every selected property held (expected failures included). */
  conformant: 0,
  /** At least one property failed, or an expected failure passed. */
  failures: 1,
  /** The command line or an input file is wrong; nothing was judged. */
  usage: 2,
  /** The suite itself broke (a bug: the stack trace is printed). */
  internal: 3,
  /** The filter, clause, property glob or shard selected no property. */
  nothingSelected: 4,
  /** stdout's reader closed it early (`| head`): output stopped there, quietly (128 + SIGPIPE, as a shell reports a C tool's end). */
  stdoutClosed: 141,
} as const;

export const EXIT_STATUS_HELP = `
Exit status:
  0  conformant: every selected property held
  1  conformance failures (or an expected failure passed)
  2  usage error: bad option, argument or input file
  3  internal error of the suite (with a stack trace)
  4  nothing selected: the filter, clause, property or shard matched no property
  141  stdout's reader closed it early (e.g. | head): the command stopped there, quietly
run-elf exits with the guest's status instead (see run-elf --help).`;
