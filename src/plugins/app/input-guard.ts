import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { AppError, type FieldError } from '../../errors/catalogue.js'

/**
 * PostgreSQL cannot store U+0000 in text or jsonb, so a NUL anywhere in the input would fail deep in
 * a query. Refuse it up front, naming the field, like any other invalid value.
 */
function findNul (value: unknown, path: string, out: FieldError[], depth = 0): void {
  if (out.length >= 20 || depth > 64) return
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push({ path, message: 'must not contain NUL characters' })
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findNul(v, `${path}/${i}`, out, depth + 1))
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) out.push({ path: `${path}/${k.replace(/\u0000/g, '')}`, message: 'field names must not contain NUL characters' })
      findNul(v, `${path}/${k}`, out, depth + 1)
    }
  }
}

export default fp(async function inputGuardPlugin (app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    const errors: FieldError[] = []
    findNul(request.params, 'params', errors)
    findNul(request.query, 'query', errors)
    findNul(request.body, 'body', errors)
    if (errors.length > 0) {
      throw new AppError('validation_failed', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors })
    }
  })
}, { name: 'input-guard' })
