import fp from 'fastify-plugin'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { AppError, problemType, problemTypes, type FieldError, type ProblemCode } from '../../errors/catalogue.js'
import { isConnectionError } from '../../db/database.js'
import { NOT_BLANK } from '../../schemas/common.js'

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

const LOCATIONS: Record<string, string> = { body: 'body', querystring: 'query', params: 'params', headers: 'headers' }

/** Ajv errors as `{path, message}` naming the field and the rule. */
export function fieldErrors(validation: AjvError[], context: string | undefined): FieldError[] {
  const prefix = LOCATIONS[context ?? 'body'] ?? 'body'
  const seen = new Set<string>()
  const out: FieldError[] = []
  for (const e of validation) {
    let path = `${prefix}${e.instancePath}`
    let message = e.message ?? 'is not valid'
    if (e.keyword === 'required') {
      path = `${path}/${String(e.params.missingProperty)}`
      message = 'is required'
    } else if (e.keyword === 'additionalProperties') {
      path = `${path}/${String(e.params.additionalProperty)}`
      message = 'is not an allowed field'
    } else if (e.keyword === 'pattern' && e.params.pattern === NOT_BLANK) {
      message = 'must not be blank'
    } else if (e.keyword === 'enum') {
      message = `must be one of: ${(e.params.allowedValues as unknown[]).join(', ')}`
    }
    const key = `${path} ${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ path, message })
  }
  return out
}

function send(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ProblemCode | string,
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {}
): void {
  const body = {
    type: problemType(code),
    title,
    status,
    detail,
    code,
    instance: request.url.split('?')[0],
    request_id: request.id,
    ...extra
  }
  if (status >= 500) request.log.error({ code, status }, detail)
  else request.log.warn({ code, status }, detail)
  void reply.code(status).type('application/problem+json').send(body)
}

function fromCode(
  request: FastifyRequest,
  reply: FastifyReply,
  code: ProblemCode,
  detail?: string,
  extra: Record<string, unknown> = {}
): void {
  const t = problemTypes[code]
  send(request, reply, code, t.status, t.title, detail ?? t.title, extra)
}

/**
 * Errors the router raises before any route is found (a malformed percent-encoding, a path segment
 * longer than the router accepts), rendered as problems like every other error. Passed to Fastify
 * as `frameworkErrors`.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const message =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'a path segment is too long' : 'the path is not a valid URL'
  fromCode(request, reply, 'validation_failed', `The path is not valid: ${message}`, {
    errors: [{ path: 'params', message }]
  })
}

const CLIENT_ERRORS: Record<string, { code: ProblemCode; detail: string }> = {
  HPE_HEADER_OVERFLOW: { code: 'headers_too_large', detail: 'The request headers exceed the size the server accepts' },
  ERR_HTTP_REQUEST_TIMEOUT: { code: 'request_timeout', detail: 'The request did not arrive in time' }
}

/**
 * Errors Node's HTTP parser meets before there is a request to answer (headers too large, a request
 * that never finishes arriving, bytes that are not HTTP), answered as problems too rather than in
 * Node's own JSON. Passed to Fastify as `clientErrorHandler`.
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const { code, detail } = CLIENT_ERRORS[err.code ?? ''] ?? {
    code: 'malformed_request',
    detail: 'The request could not be parsed as HTTP'
  }
  const t = problemTypes[code]
  const body = JSON.stringify({ type: problemType(code), title: t.title, status: t.status, detail, code })
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${t.status} ${t.title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
    )
  }
  socket.destroy(err)
}

/**
 * Renders any error as RFC 9457 problem+json: the one error handler, also called by the few hooks
 * that answer inside a third-party plugin with an error handler of its own (the queue dashboard).
 */
export function renderError(
  error: FastifyError | AppError | Error,
  request: FastifyRequest,
  reply: FastifyReply
): void {
  if (error instanceof AppError) {
    if (error.headers !== undefined) void reply.headers(error.headers)
    const extra: Record<string, unknown> = {}
    if (error.errors !== undefined) extra.errors = error.errors
    if (error.reasons !== undefined) extra.reasons = error.reasons
    send(request, reply, error.code, error.status, problemTypes[error.code].title, error.message, extra)
    return
  }
  const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string; code?: string }
  if (fe.validation !== undefined) {
    const errors = fieldErrors(fe.validation, fe.validationContext)
    const detail = errors.map((e) => `${e.path} ${e.message}`).join('; ')
    fromCode(request, reply, 'validation_failed', detail, { errors })
    return
  }
  if (isConnectionError(error) || (error as { name?: string }).name === 'NoHostAvailable') {
    void reply.header('retry-after', '5')
    fromCode(request, reply, 'service_unavailable', 'A backing service is unavailable; retry shortly')
    return
  }
  const pgCode = (error as { code?: string }).code
  // The database gave up waiting (statement_timeout or lock_timeout: a queue of writers behind one row
  // on a busy night) or chose this transaction to break a deadlock or a serialization conflict:
  // nothing was written, and the same request a moment later can succeed.
  if (pgCode === '57014' || pgCode === '55P03' || pgCode === '40001' || pgCode === '40P01') {
    void reply.header('retry-after', '2')
    fromCode(request, reply, 'service_unavailable', 'The database is busy; retry shortly')
    return
  }
  // 22P05/22021: text PostgreSQL cannot store (e.g. U+0000), should any reach it past the input guard.
  if (
    pgCode === '22P02' ||
    pgCode === '22007' ||
    pgCode === '22008' ||
    pgCode === '22003' ||
    pgCode === '22P05' ||
    pgCode === '22021'
  ) {
    fromCode(request, reply, 'validation_failed', 'A value is out of range or malformed', {
      errors: [{ path: 'body', message: 'contains a value out of range' }]
    })
    return
  }
  if (pgCode === '23505') {
    fromCode(request, reply, 'conflict', 'A record with the same unique value already exists')
    return
  }
  const status = fe.statusCode ?? 500
  if (status === 429) {
    fromCode(request, reply, 'rate_limited', 'Too many requests; slow down')
    return
  }
  if (status === 413) {
    fromCode(request, reply, 'payload_too_large')
    return
  }
  if (status === 415) {
    fromCode(request, reply, 'unsupported_media_type', error.message)
    return
  }
  if (status >= 400 && status < 500) {
    fromCode(request, reply, 'validation_failed', error.message, { errors: [{ path: 'body', message: error.message }] })
    return
  }
  request.log.error({ err: error }, 'unhandled error')
  fromCode(request, reply, 'internal_error', 'An unexpected error occurred; it has been logged with the request id')
}

export default fp(
  async function errorHandlerPlugin(app: FastifyInstance) {
    app.setErrorHandler(renderError)

    app.setNotFoundHandler(function notFound(request, reply) {
      fromCode(request, reply, 'not_found', `No route ${request.method} ${request.url.split('?')[0]}`)
    })
  },
  { name: 'error-handler' }
)
