import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/wat.ts'
import { buildArchive, wasmOci } from './cli.ts'
import { HELLO_WASM } from './wasm.ts'

const temp = await tempDir()
afterAll(temp.cleanup)
const good = await buildArchive([HELLO_WASM, '--ref', 'example.com/demo/hello:v1'], join(temp.dir, 'good.tar'))
const gzipped = join(temp.dir, 'image.tar.gz')
await writeFile(gzipped, gzipSync(await readFile(good)))
const junk = join(temp.dir, 'junk.tar')
await writeFile(junk, 'not a tar at all\n')

/** Every command that reads an archive answers the same broken input with the same clear message. */
describe.each([
  ['inspect', (archive: string) => ['inspect', archive]],
  ['verify', (archive: string) => ['verify', archive]],
  ['run', (archive: string) => ['run', archive]],
  ['push', (archive: string) => ['push', archive, '127.0.0.1:1/demo/hello:v1']],
])('wasm-oci %s', (_, args) => {
  it.each([
    ['a gzip-compressed archive', gzipped, /archive ".*image.tar.gz" is gzip-compressed: gunzip it first/, 2],
    ['a file that is not a tar', junk, /archive ".*junk.tar"( is not a valid tar| as a tar).*check that it is an uncompressed OCI archive/, 1],
    ['a missing archive', join(temp.dir, 'missing.tar'), /archive ".*missing.tar" does not exist: check the path/, 2],
    ['a wasm module instead of an archive', HELLO_WASM, /archive ".*hello.wasm" is a WebAssembly module, not an image archive: pack it first \(wasm-oci build/, 2],
  ])('names %s and the fix', async (_, archive, message, code) => {
    const result = await wasmOci(args(archive))
    expect(result.stderr).toMatch(message)
    expect(result.stderr.trim().split('\n')).toHaveLength(1)
    expect(result.code).toBe(code)
  })
})
