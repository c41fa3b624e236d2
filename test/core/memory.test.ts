import { execFile } from 'node:child_process'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, expect, it } from 'vitest'
import { tempDir } from '../helpers/wat.ts'

const DIST = fileURLToPath(new URL('../../dist/index.js', import.meta.url))
const temp = await tempDir()
afterAll(temp.cleanup)

/** A sparse module: a valid header, then zeros up to `size` bytes. */
async function sparseModule(name: string, size: number): Promise<string> {
  const path = join(temp.dir, name)
  const handle = await open(path, 'w')
  await handle.write(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))
  await handle.truncate(size)
  await handle.close()
  return path
}

/** Packs in a fresh process and returns that process's peak RSS in MiB. */
async function peakRssMiB(module: string): Promise<number> {
  const script = `const { packImage } = await import(${JSON.stringify(DIST)});
    await packImage({ name: 'big', repo: 'r', tag: 't', modules: [${JSON.stringify(module)}], output: ${JSON.stringify(`${module}.tar`)} });
    console.log(process.resourceUsage().maxRSS / 1024)`
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script])
  return Number(stdout.trim())
}

it('packs a 256 MiB module in about the memory of a 1 KiB one (streamed, never held whole)', async () => {
  const small = await peakRssMiB(await sparseModule('small.wasm', 1024))
  const large = await peakRssMiB(await sparseModule('large.wasm', 256 << 20))
  expect(large - small).toBeLessThan(48)
}, 120_000)
