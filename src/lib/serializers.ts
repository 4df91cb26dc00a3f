import fastJsonStringify, { type Options, type Schema } from 'fast-json-stringify'
import type { PendingCompiles } from './pending-compiles.js'

type Serializer = (data: unknown) => string
type Schemas = Record<string, Schema>

/**
 * Fastify's serializer factory, building each distinct response schema once. Fastify asks for one
 * serializer per route, status and content type, and most of them are the same few schemas: every
 * problem response is `Problem`, every referral is `Referral`. Building each only once (and checking
 * the shared schemas once, not at every build) takes about half a second off start-up.
 * Same behaviour as Fastify's default (`@fastify/fast-json-stringify-compiler`), including leaving
 * a schema's own `$id` out of the external schemas it resolves against.
 */
export function cachedSerializerFactory(pending: PendingCompiles) {
  return (externalSchemas?: unknown, serializerOpts: Options = {}): ((route: { schema?: unknown }) => Serializer) => {
    const built = new Map<string, () => Serializer>()
    return (route) => {
      const schema = route.schema as Schema & { $id?: string }
      const key = JSON.stringify(schema)
      let serializer = built.get(key)
      if (serializer === undefined) {
        // Built on first use, or when `pending` compiles everything.
        serializer = pending.defer(() => {
          let schemas = (externalSchemas ?? {}) as Schemas
          if (typeof schema.$id === 'string' && schemas[schema.$id] !== undefined) {
            schemas = { ...schemas }
            delete schemas[schema.$id]
          }
          return fastJsonStringify(schema, { ...serializerOpts, schema: schemas })
        })
        built.set(key, serializer)
      }
      const serialize = serializer
      return (data) => serialize()(data)
    }
  }
}
