import { createPublicKey, type JsonWebKey } from 'node:crypto'

interface Jwk extends JsonWebKey { kid?: string, use?: string, alg?: string }

/**
 * Public keys from an identity provider's JWKS, as PEM, cached in memory. An unknown `kid` triggers a
 * refresh (at most every 30 s), so a rotated key is picked up without a restart.
 */
export class JwksKeyStore {
  private keys = new Map<string, string>()
  private fetchedAt = 0
  private inflight: Promise<void> | null = null

  constructor (private readonly url: string, private readonly ttlMs = 10 * 60_000, private readonly minRefreshMs = 30_000) {}

  async keyFor (kid: string | undefined): Promise<string> {
    const now = Date.now()
    if (now - this.fetchedAt > this.ttlMs) await this.refresh()
    let key = this.lookup(kid)
    if (key === undefined && now - this.fetchedAt > this.minRefreshMs) {
      await this.refresh()
      key = this.lookup(kid)
    }
    if (key === undefined) throw new Error('No key in the JWKS matches the token')
    return key
  }

  private lookup (kid: string | undefined): string | undefined {
    if (kid !== undefined) return this.keys.get(kid)
    return this.keys.size === 1 ? [...this.keys.values()][0] : undefined
  }

  private async refresh (): Promise<void> {
    this.inflight ??= (async () => {
      try {
        const res = await fetch(this.url, { signal: AbortSignal.timeout(5000) })
        if (!res.ok) throw new Error(`JWKS answered ${res.status}`)
        const body = await res.json() as { keys?: Jwk[] }
        const next = new Map<string, string>()
        for (const jwk of body.keys ?? []) {
          if (jwk.use !== undefined && jwk.use !== 'sig') continue
          if (jwk.kty !== 'RSA' && jwk.kty !== 'EC') continue
          const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString()
          next.set(jwk.kid ?? `key-${next.size}`, pem)
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
