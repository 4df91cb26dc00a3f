/**
 * Requests without a valid token, counted per address in fixed windows. Consulted before a token's
 * signature is checked, so a flood of forged or expired tokens from one address costs a map lookup
 * each once it is over its allowance, not a signature check. Entries are bounded: past `maxEntries`
 * addresses the oldest is forgotten.
 */
export class AddressLimit {
  private readonly entries = new Map<string, { count: number; until: number }>()

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly maxEntries = 100_000
  ) {}

  /** Milliseconds until the address may try again, or 0 when it may now. */
  blockedFor(address: string, now = Date.now()): number {
    const entry = this.entries.get(address)
    if (entry === undefined) return 0
    if (entry.until <= now) {
      this.entries.delete(address)
      return 0
    }
    return entry.count >= this.max ? entry.until - now : 0
  }

  /** Counts one request without a valid token. */
  fail(address: string, now = Date.now()): void {
    const entry = this.entries.get(address)
    if (entry !== undefined && entry.until > now) {
      entry.count += 1
      return
    }
    if (entry !== undefined) this.entries.delete(address)
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string)
    this.entries.set(address, { count: 1, until: now + this.windowMs })
  }
}
