// Compiles every wasm/*.wat into wasm/*.wasm with the wabt package (no native toolchain).
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const WASM_DIR = fileURLToPath(new URL('../wasm/', import.meta.url))

/** Compiles each `.wat` in `dir` beside itself; resolves to the sources compiled. */
export async function compileWat(dir = WASM_DIR) {
  const wabt = await (await import('wabt')).default()
  const sources = (await readdir(dir)).filter((file) => file.endsWith('.wat')).sort()
  for (const source of sources) {
    const module = wabt.parseWat(source, await readFile(join(dir, source), 'utf8'))
    try {
      module.validate()
      await writeFile(join(dir, source.replace(/\.wat$/, '.wasm')), module.toBinary({}).buffer)
    } finally {
      module.destroy()
    }
  }
  return sources
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sources = await compileWat()
  console.log(`compiled ${sources.map((source) => `wasm/${source}`).join(', ')}`)
}
