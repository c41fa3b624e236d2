import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { compileFixture } from '../helpers/wat.ts'
import { ROOT } from './cli.ts'

export const HELLO_WASM = join(ROOT, 'test/fixtures/hello.wasm')

/** Compiles a WAT fixture from test/fixtures/formats with the wabt npm package into `dir`. */
export const compileWat = (name: string, dir: string): Promise<string> => compileFixture(`formats/${name}`, dir)

/** Builds a component from test/fixtures/components/NAME.wat with `jco parse` (a dev dependency). */
export async function buildComponent(name: string, dir: string): Promise<string> {
  const out = join(dir, `${name}.wasm`)
  await promisify(execFile)(join(ROOT, 'node_modules/.bin/jco'), ['parse', join(ROOT, 'test/fixtures/components', `${name}.wat`), '-o', out])
  return out
}
