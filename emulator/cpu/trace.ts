/**
 * Ring buffer of the addresses of the last retired instructions (debugging aid; costs a
 * store per instruction, so run() only records when given one).
 */
export class TraceRing {
  readonly addrs: Float64Array;
  pos = 0;
  count = 0;
  constructor(readonly size = 16) { this.addrs = new Float64Array(size); }
  push(a: number): void { this.addrs[this.pos] = a; this.pos = (this.pos + 1) % this.size; if (this.count < this.size) this.count++; }
  /** Oldest first. */
  list(): number[] {
    const out: number[] = [];
    for (let i = this.count; i > 0; i--) out.push(this.addrs[(this.pos - i + this.size) % this.size]!);
    return out;
  }
}
