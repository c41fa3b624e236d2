import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './cli.ts'

export const HELLO_WASM = join(ROOT, 'test/fixtures/hello.wasm')

/** Compiles a WAT fixture from test/fixtures/formats with the wabt npm package into `dir`. */
export async function compileWat(name: string, dir: string): Promise<string> {
  const wabt = await (await import('wabt')).default()
  const text = await readFile(join(ROOT, 'test/fixtures/formats', `${name}.wat`), 'utf8')
  const module = wabt.parseWat(`${name}.wat`, text)
  try {
    const out = join(dir, `${name}.wasm`)
    await writeFile(out, module.toBinary({}).buffer)
    return out
  } finally {
    module.destroy()
  }
}

/** Builds a component from test/fixtures/components/NAME.wat with `jco parse` (a dev dependency). */
export async function buildComponent(name: string, dir: string): Promise<string> {
  const out = join(dir, `${name}.wasm`)
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/jco'), ['parse', join(ROOT, 'test/fixtures/components', `${name}.wat`), '-o', out])
  return out
}
