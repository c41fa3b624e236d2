import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { classifyWasmHeader, readWasmFileInfo } from '../../src/core/wasm.ts'
import { compileFixture, tempDir } from '../helpers/wat.ts'

const temp = await tempDir()
afterAll(temp.cleanup)
const bytes = (...values: number[]) => new Uint8Array(values)

describe('classifyWasmHeader', () => {
  it('tells a core module from a component by bytes 4..7', () => {
    expect(classifyWasmHeader(bytes(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0), 'm')).toBe('module')
    expect(classifyWasmHeader(bytes(0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0), 'c')).toBe('component')
  })

  it.each([
    [bytes(), /"x" is empty/],
    [bytes(0, 0x61, 0x73), /"x" is truncated: 3 bytes/],
    [bytes(0, 0x61, 0x73, 0x6d, 1, 0), /"x" is truncated: 6 bytes/],
    [new TextEncoder().encode('(module)'), /"x" is not a WebAssembly binary .*wat2wasm/],
    [bytes(0, 0x61, 0x73, 0x6d, 2, 0, 0, 0), /unknown WebAssembly version \(bytes 02 00 00 00\)/],
  ])('rejects bad header %#', (header, message) => {
    expect(() => classifyWasmHeader(header, 'x')).toThrow(message)
  })
})

describe('readWasmFileInfo', () => {
  it('reads kind and size of a real module', async () => {
    const path = await compileFixture('hello', temp.dir)
    expect(await readWasmFileInfo(path)).toEqual({ kind: 'module', size: 133 })
  })

  it('names a missing file, a directory and a non-wasm file', async () => {
    await mkdir(join(temp.dir, 'dir.wasm'))
    await writeFile(join(temp.dir, 'text.wasm'), 'hello')
    await expect(readWasmFileInfo(join(temp.dir, 'missing.wasm'))).rejects.toThrow(/missing.wasm" does not exist/)
    await expect(readWasmFileInfo(join(temp.dir, 'dir.wasm'))).rejects.toThrow(/dir.wasm" is a directory/)
    await expect(readWasmFileInfo(join(temp.dir, 'text.wasm'))).rejects.toThrow(/text.wasm" is not a WebAssembly binary/)
  })
})
