import { createServer, connect, type Server, type Socket } from 'node:net'
import type { Test } from 'tap'

export interface TcpProxy {
  port: number
  /** Like a SIGSTOPped server: connections stay open and new ones are accepted, but nothing moves until `thaw`. */
  freeze: () => void
  thaw: () => void
  /**
   * Freezes one connection alone, found by the port it reaches the service from (PostgreSQL's
   * `pg_stat_activity.client_port`): to its client it is a connection silently dropped. `thaw` resumes it.
   */
  freezeConnection: (upstreamPort: number) => boolean
  /** Like a server that went down: every connection is cut and new ones are refused until `up`. */
  down: () => Promise<void>
  up: () => Promise<void>
}

/**
 * A TCP proxy to a local service (PostgreSQL, Redis) that a test can freeze or take down. Bytes sent
 * while frozen wait in the socket buffers. With `listen: false` it starts down (nothing at its port).
 */
export async function tcpProxy(
  t: Pick<Test, 'teardown'>,
  targetPort: number,
  options: { port?: number; listen?: boolean } = {}
): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>()
  let frozen = false
  let server: Server | null = null
  let port = options.port ?? 0
  const cut = (): void => {
    for (const p of pairs) for (const s of p) s.destroy()
    pairs.clear()
  }
  const up = async (): Promise<void> => {
    if (server !== null) return
    const s = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1')
      const pair: [Socket, Socket] = [client, upstream]
      pairs.add(pair)
      client.pipe(upstream)
      upstream.pipe(client)
      if (frozen) {
        client.pause()
        upstream.pause()
      }
      const end = (): void => {
        client.destroy()
        upstream.destroy()
        pairs.delete(pair)
      }
      for (const x of pair) {
        x.on('close', end)
        x.on('error', end)
      }
    })
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject)
      s.listen(port, '127.0.0.1', resolve)
    })
    port = (s.address() as { port: number }).port
    server = s
  }
  const down = async (): Promise<void> => {
    const s = server
    server = null
    cut()
    if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()))
  }
  if (options.listen !== false) await up()
  t.teardown(down)
  return {
    get port() {
      return port
    },
    freeze: () => {
      frozen = true
      for (const p of pairs) for (const s of p) s.pause()
    },
    thaw: () => {
      frozen = false
      for (const p of pairs) for (const s of p) s.resume()
    },
    freezeConnection: (upstreamPort) => {
      for (const p of pairs) {
        if (p[1].localPort !== upstreamPort) continue
        for (const s of p) s.pause()
        return true
      }
      return false
    },
    down,
    up
  }
}
