/** A command-line choice that cannot be honoured (unknown implementation, property, mutant...). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A selection (filter, clause, property glob, shard) that matches no property. */
export class NothingSelectedError extends Error {
  override readonly name = "NothingSelectedError";
}
