import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import type { Plugin } from 'rollup'

/** A minimal Rollup plugin that emits each imported .wasm as an asset (`assets/<name>-<hash>.wasm`) and exports its URL. */
export function emitWasm(): Plugin {
  return {
    name: 'emit-wasm',
    async load(id) {
      if (!id.endsWith('.wasm')) return null
      const ref = this.emitFile({ type: 'asset', name: basename(id), originalFileName: id, source: await readFile(id) })
      return `export default import.meta.ROLLUP_FILE_URL_${ref}`
    },
  }
}
