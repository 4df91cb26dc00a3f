import { createHmac } from 'node:crypto'

const b64url = (input: string | Buffer): string => Buffer.from(input).toString('base64url')

/** Signs an HS256 token: development, tests and the `npm run token` script. */
export function signHs256(secret: string, claims: Record<string, unknown>, expiresInSeconds = 12 * 3600): string {
  const now = Math.floor(Date.now() / 1000)
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))
  const payload = b64url(JSON.stringify({ iat: now, exp: now + expiresInSeconds, ...claims }))
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
  return `${header}.${payload}.${signature}`
}
