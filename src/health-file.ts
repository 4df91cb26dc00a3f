import { writeFile } from 'node:fs/promises'

/** How often a worker's health file is touched while its connections answer. */
export const HEALTH_FILE_INTERVAL_MS = 10_000

/**
 * Touches `file` every `intervalMs` while `healthy` says yes, for container health checks of a
 * worker that serves no HTTP: while PostgreSQL or Redis does not answer the file grows stale, and
 * the orchestrator sees it. A check still running when the next is due counts as a failure.
 */
export function startHeartbeat(
  file: string,
  healthy: () => Promise<boolean>,
  intervalMs = HEALTH_FILE_INTERVAL_MS
): () => Promise<void> {
  let checking: Promise<void> | null = null
  const beat = (): void => {
    if (checking !== null) return
    checking = healthy()
      .then(async (ok) => {
        if (ok) await writeFile(file, new Date().toISOString())
      })
      .catch(() => {})
      .finally(() => {
        checking = null
      })
  }
  beat()
  const timer = setInterval(beat, intervalMs)
  return async () => {
    clearInterval(timer)
    if (checking !== null) await checking
  }
}
