import { ConfigError, loadConfig, type Config } from '../src/config/config.js'
import { chooseServices, type ServicesChoice } from '../src/config/services.js'
import { EmbeddedRefusedError, EmbeddedUnavailableError } from '../src/embedded/embedded-postgres.js'

/**
 * The scripts' opening: the configuration, and the database and queues chosen as the service
 * chooses them (a running embedded server is joined, a stopped one started and stopped again by
 * `close`). The choice goes to stderr, leaving stdout to the script's output.
 */
export async function openServices(): Promise<{ config: Config; services: ServicesChoice }> {
  let services: ServicesChoice
  try {
    services = await chooseServices(loadConfig())
  } catch (err) {
    if (err instanceof ConfigError || err instanceof EmbeddedUnavailableError || err instanceof EmbeddedRefusedError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(err instanceof ConfigError ? 78 : 1)
    }
    throw err
  }
  process.stderr.write(`${services.summary}\n`)
  return { config: services.config, services }
}
