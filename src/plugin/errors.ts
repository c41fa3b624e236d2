import { WasmOciError } from '../core/errors.ts'

export const PLUGIN_NAME = 'unplugin-wasm-oci'

/** Errors the plugin raises itself: prefixed with who speaks, as every bundler shows them side by side. */
export function pluginError(message: string, options: { cause?: unknown; usage?: boolean } = {}): WasmOciError {
  return new WasmOciError(`${PLUGIN_NAME}: ${message}`, options)
}

/** A usage error raised by the core for an option, re-raised with the plugin's prefix. */
export function rethrowPrefixed(error: unknown): never {
  if (error instanceof WasmOciError && !error.message.startsWith(`${PLUGIN_NAME}:`)) {
    throw pluginError(error.message, { cause: error, usage: error.usage })
  }
  throw error
}
