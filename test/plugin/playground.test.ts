import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { makeTempDir, runOk } from '../helpers/tools.ts'
import { expectArchives, listWasm } from './helpers.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PLAYGROUND = join(ROOT, 'playground')
const WASM_OCI = join(ROOT, 'dist/cli/wasm-oci.js')
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** The playground as a user builds it: its own package.json, the plugin from the repo (file:..), `npm run build`. */
describe('playground', () => {
  it('npm run build compiles its WAT, builds the page and writes one archive per module; hello runs back out of its archive', { timeout: 120_000 }, async () => {
    if (!existsSync(join(PLAYGROUND, 'node_modules/vite'))) {
      await runOk(NPM, ['ci', '--no-audit', '--no-fund'], { cwd: PLAYGROUND, timeout: 110_000 })
    }
    // Into a temporary directory, so a build from the README's command is not disturbed.
    const dist = await makeTempDir('playground-dist')
    await runOk(NPM, ['run', 'build', '--', '--outDir', dist, '--emptyOutDir'], { cwd: PLAYGROUND, timeout: 60_000 })
    const files = await listWasm(join(dist, 'assets'))
    const emitted = (name: string) => join('assets', files.find((file) => file.startsWith(`${name}-`))!)
    expect(files).toHaveLength(3)
    await expectArchives(dist, { hello: emitted('hello'), add: emitted('add'), fib: emitted('fib') }, { repo: 'localhost/playground' })
    const { stdout } = await runOk(process.execPath, [WASM_OCI, 'run', join(dist, 'oci/hello.tar')])
    expect(stdout).toBe('hello\n')
  })
})
