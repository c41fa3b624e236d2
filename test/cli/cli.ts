import { join, resolve } from 'node:path'
import { expect } from 'vitest'
import { run, type RunOptions, type RunResult } from '../helpers/tools.ts'

export const ROOT = resolve(import.meta.dirname, '../..')

/** The CLIs as shipped: dist/ is built once per test run by test/setup/build.ts. */
function cli(name: string) {
  const script = join(ROOT, 'dist/cli', `${name}.js`)
  return (args: readonly string[], opts: RunOptions = {}): Promise<RunResult> =>
    run(process.execPath, [script, ...args], { ...opts, env: { ...process.env, SOURCE_DATE_EPOCH: '', ...opts.env } })
}

export const wasmOci = cli('wasm-oci')
export const ociTarBuilder = cli('oci-tar-builder')

/** `wasm-oci build ARGS… -o OUT`, failing the test unless it exits 0 without a word on stderr. */
export async function buildArchive(args: readonly string[], out: string): Promise<string> {
  const result = await wasmOci(['build', ...args, '-o', out])
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return out
}
