import { lookup as dnsLookup } from 'node:dns'
import { promises as dns } from 'node:dns'
import { BlockList, isIP, type LookupFunction } from 'node:net'

/**
 * Where a webhook may be sent. Outside development a destination must not be the service itself or
 * its neighbours: loopback, private, link-local, shared, multicast and reserved ranges are refused,
 * judged on the addresses a name resolves to (when saved, and again on every delivery, on the very
 * address the request then connects to, so a name re-pointed after saving gains nothing).
 */
const blocked = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4]
] as const)
  blocked.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['100::', 64],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8]
] as const)
  blocked.addSubnet(net, prefix, 'ipv6')

/** Is this address one a webhook may not reach (IPv4-mapped IPv6 judged as IPv4)? */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family !== 6) return true
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped !== null) return blocked.check(mapped[1], 'ipv4')
  return blocked.check(address, 'ipv6') || /^::ffff:/i.test(address)
}

export interface DestinationPolicy {
  allowPrivate: boolean
  httpsOnly: boolean
}

/** Why a URL may not be a webhook destination (no network needed), or null. */
export function urlProblem(raw: string, policy: DestinationPolicy): string | null {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'is not a URL'
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && !policy.httpsOnly)) {
    return policy.httpsOnly ? 'must be an https:// URL' : 'must be an http:// or https:// URL'
  }
  if (url.username !== '' || url.password !== '') return 'must not carry a user name or password'
  if (url.hash !== '') return 'must not have a fragment'
  if (url.hostname === '') return 'must name a host'
  return null
}

const hostOf = (url: URL): string => url.hostname.replace(/^\[(.*)\]$/, '$1')

/**
 * Resolves the URL's host and judges every address it has: the reason it is refused, or null. An
 * address given literally is judged as it is.
 */
export async function resolvedProblem(raw: string, policy: DestinationPolicy): Promise<string | null> {
  const host = hostOf(new URL(raw))
  let addresses: string[]
  try {
    addresses =
      isIP(host) !== 0 ? [host] : (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address)
  } catch {
    return 'names a host that does not resolve'
  }
  if (addresses.length === 0) return 'names a host that does not resolve'
  if (policy.allowPrivate) return null
  const bad = addresses.find(isForbiddenAddress)
  return bad === undefined ? null : 'resolves to a loopback, private or link-local address'
}

/**
 * A DNS lookup for the HTTP client that refuses forbidden addresses: the connection goes to the address
 * judged here, never to one resolved again later.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (err, addresses) => {
      if (err !== null) {
        callback(err, '', 0)
        return
      }
      const list = addresses
      const allowed = allowPrivate ? list : list.filter((a) => !isForbiddenAddress(a.address))
      if (allowed.length === 0 || allowed.length < list.length) {
        const refused = Object.assign(new Error(`${hostname} resolves to a loopback, private or link-local address`), {
          code: 'EWEBHOOKDESTINATION'
        })
        callback(refused, '', 0)
        return
      }
      if ((options as { all?: boolean }).all === true) {
        callback(null, allowed)
      } else {
        callback(null, allowed[0].address, allowed[0].family)
      }
    })
  }
}
