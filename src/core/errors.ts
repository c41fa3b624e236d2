/**
 * The one error type the packer throws for bad input or a failed write. `usage` marks errors in
 * what the caller asked for (a CLI maps them to exit code 2); the message names the input and
 * the fix, the low-level cause rides along in `cause`.
 */
export class WasmOciError extends Error {
  readonly usage: boolean

  constructor(message: string, options: { cause?: unknown; usage?: boolean } = {}) {
    super(message, { cause: options.cause })
    this.name = 'WasmOciError'
    this.usage = options.usage ?? false
  }
}

export function usageError(message: string): WasmOciError {
  return new WasmOciError(message, { usage: true })
}

/** Node's fs errors carry a `code`; this reads it without a cast at every call site. */
export function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined
}
