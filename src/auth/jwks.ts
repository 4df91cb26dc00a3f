import { createPublicKey, type JsonWebKey } from 'node:crypto'

interface Jwk extends JsonWebKey {
  kid?: string
  use?: string
  alg?: string
}

/**
 * Public keys from an identity provider's JWKS, as PEM, cached in memory. An unknown `kid` triggers a
 * refresh, so a rotated key is picked up without a restart; refreshes are at most one per cooldown
 * however many made-up kids arrive, so tokens cannot be used to hammer the provider. When the provider
 * cannot be reached, the last keys fetched stay in use.
 */
export class JwksKeyStore {
  private keys = new Map<string, string>()
  private fetchedAt = 0
  private attemptedAt = 0
  private inflight: Promise<void> | null = null

  constructor(
    private readonly url: string,
    private readonly ttlMs = 10 * 60_000,
    private readonly cooldownMs = 5_000
  ) {}

  async keyFor(kid: string | undefined): Promise<string> {
    if (Date.now() - this.fetchedAt > this.ttlMs) await this.refreshSoon()
    let key = this.lookup(kid)
    if (key === undefined) {
      await this.refreshSoon()
      key = this.lookup(kid)
    }
    if (key === undefined) throw new Error('No key in the JWKS matches the token')
    return key
  }

  /** Refreshes unless one was tried within the cooldown; a failure keeps the keys we have. */
  private async refreshSoon(): Promise<void> {
    if (this.inflight === null && Date.now() - this.attemptedAt < this.cooldownMs) return
    this.attemptedAt = Date.now()
    await this.refresh().catch(() => {
      /* the last good keys stay; an unknown kid is refused */
    })
  }

  private lookup(kid: string | undefined): string | undefined {
    if (kid !== undefined) return this.keys.get(kid)
    return this.keys.size === 1 ? [...this.keys.values()][0] : undefined
  }

  private async refresh(): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(5000) })
        if (!res.ok) throw new Error(`JWKS answered ${res.status}`)
        const body = (await res.json()) as { keys?: Jwk[] }
        const next = new Map<string, string>()
        for (const jwk of body.keys ?? []) {
          if (jwk.use !== undefined && jwk.use !== 'sig') continue
          if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') continue
          try {
            const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
            next.set(jwk.kid ?? `key-${next.size}`, pem)
          } catch {
            // A key this runtime cannot read is skipped; the others still verify.
          }
        }
        this.keys = next
        this.fetchedAt = Date.now()
      } finally {
        this.inflight = null
      }
    })()
    await this.inflight
  }
}
