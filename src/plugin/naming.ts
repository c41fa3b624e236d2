import { basename } from 'node:path'
import { toPathComponent } from '../core/reference.ts'

const SOURCE_SUFFIX = /\.wasm$/i
/** webpack names async wasm `[hash].module.wasm`. */
const EMITTED_SUFFIX = /(?:\.module)?\.wasm$/i
/** When nothing usable is left of a base name (`___.wasm`). */
const FALLBACK_NAME = 'wasm'

/**
 * The default image name: the source module's base name (`src/add.wasm` → `add`) made into a
 * valid repository path component, else the emitted file's base name (hash included).
 */
export function defaultImageName(fileName: string, source?: string): string {
  const base = source === undefined ? basename(fileName).replace(EMITTED_SUFFIX, '') : basename(source).replace(SOURCE_SUFFIX, '')
  return toPathComponent(base) ?? FALLBACK_NAME
}
