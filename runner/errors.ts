/** A command-line choice that cannot be honoured (unknown implementation, property, mutant...). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
