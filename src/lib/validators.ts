import AjvCompiler from '@fastify/ajv-compiler'

type Factory = ReturnType<typeof AjvCompiler>
type Options = NonNullable<Parameters<Factory>[1]>
type Route = Parameters<ReturnType<Factory>>[0]
type Validator = ReturnType<ReturnType<Factory>>

export interface Validators {
  /** Fastify's validator factory (schemaController.compilersFactory.buildValidator). */
  factory: (externalSchemas: Parameters<Factory>[0], options?: Options) => ReturnType<Factory>
  /** Compiles every validator not compiled yet, yielding to the event loop between routes. */
  compilePending: () => Promise<number>
}

/**
 * Fastify's validator factory with one Ajv for request bodies and another for the rest. A JSON body
 * carries its own types, so it is never coerced: `"8"` for an integer, `0` for a boolean or a string
 * for an array is a 400 naming the field. Query strings, path parameters and headers are text, so
 * they may be coerced (`?limit=20`, `?cleared=true`).
 *
 * Compiling every route's validators is most of the time the API takes to build, so each is
 * compiled when first used, or by `compilePending` (the server calls it once it listens): the same
 * validators, ready soon after start-up instead of before it.
 */
export function requestValidators (): Validators {
  const pending = new Set<() => void>()
  const factory: Validators['factory'] = (externalSchemas, options = {}) => {
    const pool = AjvCompiler()
    const coercing = pool(externalSchemas, options)
    const strict = pool(externalSchemas, { ...options, customOptions: { ...options.customOptions, coerceTypes: false } } as Options)
    return (route) => lazily(route, (r) => r.httpPart === 'body' ? strict(r) : coercing(r), pending)
  }
  const compilePending = async (): Promise<number> => {
    let n = 0
    for (const compile of [...pending]) {
      compile()
      n += 1
      await new Promise((resolve) => setImmediate(resolve))
    }
    return n
  }
  return { factory, compilePending }
}

/**
 * A validator that compiles on first use. Fastify reads `schemaEnv` before each call (Ajv's, to
 * coerce a root value in place) and `errors` after a failed one: both come from the compiled one.
 */
function lazily (route: Route, build: (route: Route) => Validator, pending: Set<() => void>): Validator {
  let compiled: Validator | undefined
  const compile = (): Validator => {
    if (compiled === undefined) {
      compiled = build(route)
      pending.delete(compile)
    }
    return compiled
  }
  pending.add(compile)
  const validate = ((...args: unknown[]) => (compile() as (...a: unknown[]) => unknown)(...args)) as unknown as Validator
  Object.defineProperty(validate, 'schemaEnv', { get: () => (compile() as { schemaEnv?: unknown }).schemaEnv })
  Object.defineProperty(validate, 'errors', { get: () => (compiled as { errors?: unknown } | undefined)?.errors })
  return validate
}
