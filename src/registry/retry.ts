import { setTimeout as sleep } from 'node:timers/promises'
import { errnoCode } from '../core/errors.ts'
import { RegistryResponseError, isRetryable } from './errors.ts'
import type { RegistryEvent } from './types.ts'

export const DEFAULT_RETRIES = 3
export const DEFAULT_RETRY_DELAY_MS = 500
/** No single wait longer than this, whatever a Retry-After header asks. */
const MAX_DELAY_MS = 30_000

export interface RetryPolicy {
  retries?: number
  retryDelayMs?: number
  onEvent?: (event: RegistryEvent) => void
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the retries are spent. Only 5xx, 429, 408
 * and connection resets are retried, with exponential backoff and jitter (a Retry-After header
 * is honoured, capped). `attempt` gets the attempt number; 0 is the first.
 */
export async function withRetries<T>(what: string, policy: RetryPolicy, attempt: (n: number) => Promise<T>): Promise<T> {
  const attempts = (policy.retries ?? DEFAULT_RETRIES) + 1
  const base = policy.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS
  for (let n = 0; ; n++) {
    try {
      return await attempt(n)
    } catch (error) {
      if (n + 1 >= attempts || !isRetryable(error)) throw error
      const delayMs = Math.min(MAX_DELAY_MS, retryAfterMs(error) ?? Math.round(base * 2 ** n * (0.75 + Math.random() / 2)))
      policy.onEvent?.({ type: 'retry', what, attempt: n + 2, attempts, delayMs, reason: describeReason(error) })
      await sleep(delayMs)
    }
  }
}

function retryAfterMs(error: unknown): number | undefined {
  if (!(error instanceof RegistryResponseError)) return undefined
  const seconds = Number(error.headers['retry-after'])
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined
}

function describeReason(error: unknown): string {
  if (error instanceof RegistryResponseError) return error.message
  const code = errnoCode(error)
  const message = error instanceof Error ? error.message : String(error)
  return code && !message.includes(code) ? `${code}: ${message}` : message
}
