/**
 * The one catalogue of problems the API can answer with. Domain code throws AppError; the one error
 * handler renders it as RFC 9457 problem+json.
 */
export interface FieldError {
  path: string
  message: string
}
export interface Reason {
  code: string
  message: string
}

export const problemTypes = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  forbidden: { status: 403, title: 'Your role may not do this' },
  not_found: { status: 404, title: 'Not found' },
  method_not_allowed: { status: 405, title: 'Method not allowed' },
  invalid_transition: { status: 409, title: 'Not allowed in the current state' },
  quota_reached: { status: 409, title: 'Quota reached' },
  conflict: { status: 409, title: 'Conflict' },
  precondition_failed: { status: 412, title: 'The resource has changed' },
  precondition_required: { status: 428, title: 'If-Match is required' },
  malformed_request: { status: 400, title: 'The request is not valid HTTP' },
  request_timeout: { status: 408, title: 'The request took too long to arrive' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  headers_too_large: { status: 431, title: 'The request headers are too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported media type' },
  not_acceptable: { status: 406, title: 'Not acceptable' },
  referral_refused: { status: 422, title: 'The referral does not meet the programme rules' },
  rule_refused: { status: 422, title: 'Refused by a rule' },
  unknown_reference: { status: 422, title: 'A record the request names does not exist' },
  idempotency_key_reused: { status: 422, title: 'Idempotency-Key already used with another request' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal_error: { status: 500, title: 'Internal error' },
  service_unavailable: { status: 503, title: 'Service temporarily unavailable' }
} as const

export type ProblemCode = keyof typeof problemTypes

export function problemType(code: string): string {
  return `urn:waymark:problem:${code}`
}

export class AppError extends Error {
  readonly code: ProblemCode
  readonly status: number
  readonly errors?: FieldError[]
  readonly reasons?: Reason[]
  readonly headers?: Record<string, string>

  constructor(
    code: ProblemCode,
    detail?: string,
    extra: { errors?: FieldError[]; reasons?: Reason[]; headers?: Record<string, string> } = {}
  ) {
    super(detail ?? problemTypes[code].title)
    this.code = code
    this.status = problemTypes[code].status
    this.errors = extra.errors
    this.reasons = extra.reasons
    this.headers = extra.headers
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', `${what} not found`)
export const forbidden = (detail = 'Your role may not do this'): AppError => new AppError('forbidden', detail)
export const invalidInput = (errors: FieldError[], detail = 'The request is not valid'): AppError =>
  new AppError('validation_failed', detail, { errors })
/**
 * A well-formed request naming a record (`referral_id`, `mentor_id`...) the caller's organisation
 * does not have: the same answer for another organisation's id and for one that never existed, so
 * the answer reveals nothing of other tenants.
 */
export const unknownReferences = (errors: FieldError[]): AppError => {
  const reasons = errors.map((e) => ({
    code: 'unknown_reference',
    message: `${e.path.replace(/^[a-z]+\//, '')} ${e.message}`
  }))
  return new AppError('unknown_reference', reasons.map((r) => r.message).join('; '), { errors, reasons })
}
export const unknownReference = (path: string, message: string): AppError => unknownReferences([{ path, message }])
export const invalidTransition = (from: string, action: string): AppError =>
  new AppError('invalid_transition', `Cannot ${action} while the status is ${from}`, {
    reasons: [{ code: 'invalid_transition', message: `${action} is not allowed from ${from}` }]
  })
