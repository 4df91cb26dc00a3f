import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { AppError, type FieldError } from '../../errors/catalogue.js'

/** A UTF-16 surrogate without its other half: JSON can carry one (`"\\ud800"`), UTF-8 cannot. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function problemOf(text: string): string | undefined {
  if (text.includes('\u0000')) return 'must not contain NUL characters'
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode text (it has an unpaired surrogate)'
  return undefined
}

const clean = (key: string): string =>
  key.replace(/\u0000/g, '').replace(new RegExp(LONE_SURROGATE.source, 'g'), '\uFFFD')

/**
 * PostgreSQL cannot store U+0000 or an unpaired surrogate in text or jsonb, so either anywhere in the
 * input would fail deep in a query. Refuse them up front, naming the field, like any other invalid value.
 */
function findUnstorable(value: unknown, path: string, out: FieldError[], depth = 0): void {
  if (out.length >= 20 || depth > 64) return
  if (typeof value === 'string') {
    const message = problemOf(value)
    if (message !== undefined) out.push({ path, message })
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findUnstorable(v, `${path}/${i}`, out, depth + 1))
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const message = problemOf(k)
      if (message !== undefined) out.push({ path: `${path}/${clean(k)}`, message: `field names ${message}` })
      findUnstorable(v, `${path}/${clean(k)}`, out, depth + 1)
    }
  }
}

export default fp(
  async function inputGuardPlugin(app: FastifyInstance) {
    app.addHook('preValidation', (request, _reply, done) => {
      const errors: FieldError[] = []
      findUnstorable(request.params, 'params', errors)
      findUnstorable(request.query, 'query', errors)
      findUnstorable(request.body, 'body', errors)
      if (errors.length > 0) {
        done(new AppError('validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors }))
        return
      }
      done()
    })
  },
  { name: 'input-guard' }
)
