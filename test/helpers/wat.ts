import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url))

type Wabt = { parseWat(name: string, text: string, features?: Record<string, boolean>): { toBinary(options: object): { buffer: Uint8Array }; destroy(): void } }
let wabt: Promise<Wabt> | undefined

/**
 * Compiles WAT text to wasm bytes with the `wabt` npm package (deterministic for its pinned
 * version); `features` turns on wabt's proposals (memory64, threads, exceptions…).
 */
export async function watToWasm(name: string, text: string, features: Record<string, boolean> = {}): Promise<Uint8Array> {
  wabt ??= import('wabt').then((module) => (module.default as unknown as () => Promise<Wabt>)())
  const parsed = (await wabt).parseWat(name, text, features)
  try {
    return parsed.toBinary({}).buffer
  } finally {
    parsed.destroy()
  }
}

/** Compiles `test/fixtures/<name>.wat` into `dir/<name>.wasm` and returns its path. */
export async function compileFixture(name: string, dir: string): Promise<string> {
  const bytes = await watToWasm(`${name}.wat`, await readFile(join(FIXTURES, `${name}.wat`), 'utf8'))
  const path = join(dir, `${basename(name)}.wasm`)
  await writeFile(path, bytes)
  return path
}

/** A fresh temp directory, removed by the returned cleanup. */
export async function tempDir(prefix = 'wasm-oci-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}
