import AjvCompiler from '@fastify/ajv-compiler'

type Factory = ReturnType<typeof AjvCompiler>
type Options = NonNullable<Parameters<Factory>[1]>

/**
 * Fastify's validator factory with one Ajv for request bodies and another for the rest. A JSON body
 * carries its own types, so it is never coerced: `"8"` for an integer, `0` for a boolean or a string
 * for an array is a 400 naming the field. Query strings, path parameters and headers are text, so
 * they may be coerced (`?limit=20`, `?cleared=true`).
 */
export function bodyStrictValidatorFactory (externalSchemas: Parameters<Factory>[0], options: Options = {}): ReturnType<Factory> {
  const pool = AjvCompiler()
  const coercing = pool(externalSchemas, options)
  const strict = pool(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } } as Options)
  return (route) => route.httpPart === 'body' ? strict(route) : coercing(route)
}
