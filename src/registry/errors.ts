import type { IncomingHttpHeaders } from 'node:http'
import { WasmOciError, errnoCode } from '../core/errors.ts'

/** Connection failures worth another attempt: the peer went away, or the network hiccuped. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET'])

/**
 * A registry's answer that was not what the protocol step expected. It carries the registry's
 * own `errors[]` text; `wrapResponse` turns it into the message users see.
 */
export class RegistryResponseError extends Error {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  /** `CODE: message (detail)` from the registry's `errors[]`, or the body's first line. */
  readonly registryText: string

  constructor(status: number, headers: IncomingHttpHeaders, body: string) {
    const registryText = describeBody(body)
    super(`HTTP ${status}${registryText ? `: ${registryText}` : ''}`)
    this.name = 'RegistryResponseError'
    this.status = status
    this.headers = headers
    this.registryText = registryText
  }
}

/** A failure that the same request may not repeat, yet a fresh attempt might cure (a 401 mid-stream). */
export class RetryableError extends Error {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options)
    this.name = 'RetryableError'
  }
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof RetryableError) return true
  if (error instanceof RegistryResponseError) return error.status >= 500 || error.status === 429 || error.status === 408
  if (error instanceof WasmOciError) return false
  const code = errnoCode(error)
  return code !== undefined && TRANSIENT_CODES.has(code)
}

/** `errors: [{code, message, detail}]` as `CODE: message`, else the body's first line, short. */
function describeBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: Array<{ code?: unknown; message?: unknown; detail?: unknown }> }
    const texts = (parsed.errors ?? []).map(({ code, message, detail }) => {
      const extra = typeof detail === 'string' && detail !== '' && detail !== message ? ` (${detail})` : ''
      return [code, message].filter((part) => typeof part === 'string' && part !== '').join(': ') + extra
    })
    if (texts.length > 0) return texts.join('; ')
  } catch {}
  return body.trim().split('\n')[0]!.slice(0, 200)
}

const STATUS_HINTS: Record<number, string> = {
  401: 'check the credentials, or log in with `docker login`',
  403: 'the credentials do not allow this: check the repository name and the account\'s rights',
  404: 'check the repository name and the tag',
  413: 'the registry refuses blobs this large',
  429: 'the registry is rate-limiting requests: try again later',
}

/**
 * The error users see for a failed step: what was done, against which registry and reference,
 * what the registry said, and what to do. Never includes headers (they may hold credentials).
 */
export function wrapFailure(error: unknown, step: string, where: string): WasmOciError {
  const prefix = `${step} of ${where} failed`
  if (error instanceof WasmOciError) {
    return error.message.startsWith(prefix) ? error : new WasmOciError(`${prefix}: ${error.message}`, { cause: error, usage: error.usage })
  }
  if (error instanceof RegistryResponseError) {
    const hint = STATUS_HINTS[error.status] ?? (error.status >= 500 ? 'the registry failed: try again later, or check its logs' : 'check the reference and the image')
    return new WasmOciError(`${prefix}: the registry answered ${error.message}; ${hint}`, { cause: error })
  }
  const code = errnoCode(error)
  const reason = error instanceof Error ? error.message : String(error)
  const hint = code === 'ECONNREFUSED' ? 'is the registry running, and is the host and port right?' : code === 'ENOTFOUND' ? 'check the registry host name' : 'check the network and the registry'
  return new WasmOciError(`${prefix}: ${code && !reason.includes(code) ? `${code}: ` : ''}${reason}; ${hint}`, { cause: error })
}
