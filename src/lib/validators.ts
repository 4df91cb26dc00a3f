import AjvCompiler from '@fastify/ajv-compiler'
import type { PendingCompiles } from './pending-compiles.js'

type Factory = ReturnType<typeof AjvCompiler>
type Options = NonNullable<Parameters<Factory>[1]>
type Validator = ReturnType<ReturnType<Factory>>

/**
 * Fastify's validator factory with one Ajv for request bodies and another for the rest. A JSON body
 * carries its own types, so it is never coerced: `"8"` for an integer, `0` for a boolean or a string
 * for an array is a 400 naming the field. Query strings, path parameters and headers are text, so
 * they may be coerced (`?limit=20`, `?cleared=true`).
 *
 * Each validator compiles on first use or when `pending` compiles everything: the same validators,
 * ready soon after start-up instead of before it.
 */
export function bodyStrictValidatorFactory(pending: PendingCompiles) {
  return (externalSchemas: Parameters<Factory>[0], options: Options = {}): ReturnType<Factory> => {
    const pool = AjvCompiler()
    const coercing = pool(externalSchemas, options)
    const strict = pool(externalSchemas, {
      ...options,
      customOptions: { ...options.customOptions, coerceTypes: false }
    } as Options)
    return (route) => {
      const compiled = pending.defer(() => (route.httpPart === 'body' ? strict(route) : coercing(route)))
      // Fastify reads `schemaEnv` before each call (Ajv's, to coerce a root value in place) and
      // `errors` after a failed one: both are the compiled validator's.
      // The function is made a validator by the two properties defined next.
      const validate = ((...args: Parameters<Validator>) => compiled()(...args)) as Validator
      Object.defineProperty(validate, 'schemaEnv', { get: () => (compiled() as { schemaEnv?: unknown }).schemaEnv })
      Object.defineProperty(validate, 'errors', { get: () => (compiled() as { errors?: unknown }).errors })
      return validate
    }
  }
}
