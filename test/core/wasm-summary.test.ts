import { parse as parseComponentWat } from '@bytecodealliance/jco'
import { execFileSync } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, describe, expect, it } from 'vitest'
import { KEEP_BYTES_LIMIT } from '../../src/core/archive-read.ts'
import { parseComponentWorld } from '../../src/core/component.ts'
import { FORMATS } from '../../src/core/formats/index.ts'
import { inspectArchive } from '../../src/core/inspect.ts'
import { packImage } from '../../src/core/pack.ts'
import { WASM } from '../../src/core/webassembly.ts'
import { type WasmSummary, summarizeWasmStream } from '../../src/core/wasm-summary.ts'
import { tempDir, watToWasm } from '../helpers/wat.ts'
import { leb, name, section } from '../helpers/wasm-bytes.ts'

const COMPONENTS = fileURLToPath(new URL('../fixtures/components/', import.meta.url))
const CHUNK_SIZES = [1, 7, 64 * 1024]
const MODULE_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]
const COMPONENT_HEADER = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]
const FIX = 'rebuild it or check that the file was copied whole'

type Externs = Pick<WasmSummary, 'imports' | 'exports'>

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size)
}

const summarize = (bytes: Uint8Array | number[], chunk = 64 * 1024, size = bytes.length): Promise<WasmSummary> =>
  summarizeWasmStream(chunked(Uint8Array.from(bytes), chunk), size, 'm.wasm')

/** What the engine lists for the module, in-process, or in a child node given V8 `flags` for a proposal Node 20 ships off. */
async function engineExterns(bytes: Uint8Array, flags: string[] = []): Promise<Externs> {
  if (flags.length === 0) {
    const module = await WASM.compile(bytes)
    return { imports: WASM.Module.imports(module).map((entry) => `${entry.module}.${entry.name}`), exports: WASM.Module.exports(module).map((entry) => entry.name) }
  }
  const script = `const m = new WebAssembly.Module(require('fs').readFileSync(0))
    console.log(JSON.stringify({ imports: WebAssembly.Module.imports(m).map((e) => e.module + '.' + e.name), exports: WebAssembly.Module.exports(m).map((e) => e.name) }))`
  return JSON.parse(execFileSync(process.execPath, [...flags, '-e', script], { input: bytes, encoding: 'utf8' })) as Externs
}

/** `watToWasm` with wabt proposal features turned on (memory64, threads, exceptions). */
const watWithFeatures = (text: string, features: Record<string, boolean>): Promise<Uint8Array> => watToWasm('features.wat', text, features)


/** A WAT string literal's content for `text`: wabt reads its input as Latin-1, so UTF-8 goes in as `\\hh` escapes. */
const escape = (text: string): string => [...Buffer.from(text)].map((byte) => (byte < 0x80 ? String.fromCharCode(byte) : `\\${byte.toString(16)}`)).join('')

const EVERY_IMPORT_KIND = `(module
  (import "env" "f" (func $f (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "env" "table" (table 2 10 funcref))
  (import "env" "refs" (table 1 externref))
  (import "env" "memory" (memory 1 2))
  (import "env" "g" (global i32))
  (import "env" "counter" (global (mut i64)))
  (import "env" "ref" (global externref))
  (import "${escape('ünïcödé')}" "${escape('名前 🪙')}" (func))
  (import "\\ef\\bb\\bfbom" "" (func))
  (func (export "run") (result i32) i32.const 0 call $f)
  (export "table" (table 0))
  (export "memory" (memory 0))
  (export "g" (global 0))
  (export "" (func 0))
  (export "\\ef\\bb\\bf" (func 1))
)`

/** Every section, a name section and big code, data and export sections that span many chunks. */
function wholeProgram(functions: number): string {
  const body = Array.from({ length: functions }, (_, i) => `(func $f${i} (export "export_${i}") (result i32) i32.const ${i})`).join('\n')
  return `(module
    (import "env" "log" (func $log (param i32)))
    (table 4 funcref)
    (memory (export "mem") 1)
    (global $g (mut i32) (i32.const 7))
    ${body}
    (func $start call $f0 call $log)
    (start $start)
    (elem (i32.const 0) $f0 $f1)
    (data (i32.const 0) "${'x'.repeat(100_000)}")
    (data "passive")
  )`
}

describe('summarizeWasmStream on core modules compiled by wabt', () => {
  /** A title, the module, the V8 flags its proposal needs on Node 20, and the limits flags its memory import "env"."mem" must have. */
  const cases: Array<[string, () => Promise<Uint8Array>, string[]?, number?]> = [
    ['every import kind, unicode and BOM names', () => watToWasm('kinds.wat', EVERY_IMPORT_KIND)],
    ['a whole program with 5000 exports', () => watToWasm('program.wat', wholeProgram(5000))],
    ['an empty module', () => watToWasm('empty.wat', '(module)')],
    ['an imported shared memory (threads: limits flags 0x03)', () => watWithFeatures('(module (import "env" "mem" (memory 1 10 shared)) (export "mem" (memory 0)) (func (export "f")))', { threads: true }), [], 0x03],
    ['tags (exception handling)', () => watWithFeatures('(module (import "env" "exn" (tag (param i32))) (tag (export "own") (param i64)) (func (export "f") (throw 1 (i64.const 1))))', { exceptions: true })],
    ['an imported memory64 (limits flags 0x04)', () => watWithFeatures('(module (import "env" "f" (func)) (import "env" "mem" (memory i64 1)) (export "big" (memory 0)))', { memory64: true }), ['--experimental-wasm-memory64'], 0x04],
    ['an imported memory64 with a maximum (limits flags 0x05)', () => watWithFeatures('(module (import "env" "mem" (memory i64 1 2)) (func (export "f")))', { memory64: true }), ['--experimental-wasm-memory64'], 0x05],
    ['an imported shared memory64 (limits flags 0x07)', () => watWithFeatures('(module (import "env" "mem" (memory i64 1 2 shared)) (func (export "f")))', { memory64: true, threads: true }), ['--experimental-wasm-memory64'], 0x07],
  ]
  for (const [title, build, flags, limits] of cases) {
    it(`${title}: equals WebAssembly.Module.imports/exports in chunks of ${CHUNK_SIZES.join(', ')} bytes`, async () => {
      const bytes = await build()
      if (limits !== undefined) expect(Buffer.from(bytes).includes(Buffer.from([...name('env'), ...name('mem'), 0x02, limits]))).toBe(true)
      const expected = await engineExterns(bytes, flags)
      expect(expected.imports.length + expected.exports.length).toBeGreaterThan(title === 'an empty module' ? -1 : 0)
      for (const size of CHUNK_SIZES) expect(await summarize(bytes, size)).toEqual({ kind: 'module', ...expected })
    })
  }

  it('memory limits with a custom page size (flags 0x08 to 0x0f: an exponent after the limits)', async () => {
    const memory = (field: string, limits: number[]): number[] => [...name('env'), ...name(field), 0x02, ...limits]
    const bytes = [...MODULE_HEADER, ...section(2, [0x04, ...memory('a', [0x08, 0x01, 0x00]), ...memory('b', [0x09, 0x01, 0x02, 0x10]),
      ...memory('c', [0x0d, 0x01, 0x02, 0x00]), ...memory('d', [0x0f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x02, 0x10])]), ...section(7, [0x01, ...name('m'), 0x02, 0x00])]
    for (const size of CHUNK_SIZES) expect(await summarize(bytes, size)).toEqual({ kind: 'module', imports: ['env.a', 'env.b', 'env.c', 'env.d'], exports: ['m'] })
    const unknown = await summarize([...MODULE_HEADER, ...section(2, [0x01, ...memory('x', [0x10, 0x01])])])
    expect(unknown).toEqual({ kind: 'module', imports: [], exports: [], error: expect.stringContaining('unknown memory limits flags 0x10 (known: 0x00 to 0x0f, for a maximum, shared, 64-bit, a custom page size) in section 2 (imports) (offset 18)') })
  })

  it('GC reference types in imports (ref null $t, ref func, anyref)', async () => {
    const global = (field: string, type: number[]): number[] => [...name('env'), ...name(field), 0x03, ...type, 0x00]
    const bytes = [...MODULE_HEADER, ...section(1, [0x01, 0x60, 0x00, 0x00]),
      ...section(2, [0x03, ...global('a', [0x63, 0x00]), ...global('b', [0x64, 0x70]), ...global('c', [0x6e])])]
    expect(await summarize(bytes, 1)).toEqual({ kind: 'module', imports: ['env.a', 'env.b', 'env.c'], exports: [] })
  })
})

describe('summarizeWasmStream on components built by jco', () => {
  it('equals parseComponentWorld for every fixture, in chunks of 1, 7 and 64 KiB', async () => {
    const sources = (await readdir(COMPONENTS)).filter((file) => file.endsWith('.wat'))
    expect(sources.length).toBeGreaterThanOrEqual(4)
    for (const source of sources) {
      const bytes = await parseComponentWat(await readFile(join(COMPONENTS, source), 'utf8'))
      const world = parseComponentWorld(bytes, source)
      expect(world.imports.length + world.exports.length).toBeGreaterThan(0)
      for (const size of CHUNK_SIZES) expect(await summarize(bytes, size)).toEqual({ kind: 'component', imports: world.imports, exports: world.exports })
    }
  })

  it('small sections next to each other (reads that overlap the section header just read)', async () => {
    const funcImport = (n: string): number[] => section(10, [0x01, 0x00, ...name(n), 0x01, 0x00])
    const bytes = [...COMPONENT_HEADER, ...section(0, [0x00]), ...funcImport('a'), ...section(0, []), ...section(0, [0x01, 0x78]), ...funcImport('b'),
      ...section(11, [0x01, 0x00, ...name('run'), 0x01, 0x00, 0x00])]
    const world = parseComponentWorld(Uint8Array.from(bytes))
    expect(world).toEqual({ imports: ['a', 'b'], exports: ['run'], target: null })
    for (const size of [1, 2, 3, 7]) expect(await summarize(bytes, size)).toEqual({ kind: 'component', imports: ['a', 'b'], exports: ['run'] })
  })

  it('a malformed component gives parseComponentWorld\'s error', async () => {
    const bytes = [...COMPONENT_HEADER, ...section(10, [0x01, 0x00, ...name('a'), 0x09])]
    expect(() => parseComponentWorld(Uint8Array.from(bytes), 'm.wasm')).toThrow(/malformed: unknown extern type 0x09/)
    let message = ''
    try {
      parseComponentWorld(Uint8Array.from(bytes), 'm.wasm')
    } catch (error) {
      message = (error as Error).message
    }
    expect(await summarize(bytes, 1)).toEqual({ kind: 'component', imports: [], exports: [], error: message })
  })
})

describe('malformed input', () => {
  it('every truncation: an error when the stream ends before its size, and never a crash when the size is the cut', async () => {
    const bytes = await watToWasm('kinds.wat', EVERY_IMPORT_KIND)
    let whole = 0
    for (let cut = 8; cut < bytes.length; cut++) {
      const part = bytes.subarray(0, cut)
      const short = await summarize(part, 7, bytes.length)
      expect(short).toMatchObject({ kind: 'module', imports: [], exports: [], error: expect.stringMatching(/^module "m\.wasm" is (malformed: .*|\d+ bytes long, not the \d+ its size says); /) })
      const cutHere = await summarize(part, 7)
      if (cutHere.error === undefined) whole++
      else expect(cutHere.error).toMatch(new RegExp(`^module "m\\.wasm" is malformed: .*; ${FIX}$`))
      const engine = await engineExterns(part).catch(() => undefined)
      if (engine) expect(cutHere).toEqual({ kind: 'module', ...engine })
    }
    // Only a cut at a section boundary reads as whole.
    expect(whole).toBeGreaterThan(2)
    expect(whole).toBeLessThan(15)
  })

  it('never rejects what the engine accepts, and agrees with it, under random corruption', async () => {
    const original = await watToWasm('kinds.wat', EVERY_IMPORT_KIND)
    let seed = 0x2545f491
    const random = (limit: number): number => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) % limit
    }
    let accepted = 0
    let failed = 0
    for (let round = 0; round < 3000; round++) {
      const bytes = Uint8Array.from(original)
      for (let flips = 1 + random(3); flips > 0; flips--) bytes[MODULE_HEADER.length + random(bytes.length - MODULE_HEADER.length)] = random(256)
      const summary = await summarize(bytes, 1 + random(16))
      const engine = await engineExterns(bytes).catch(() => undefined)
      if (engine) {
        accepted++
        expect(summary).toEqual({ kind: 'module', ...engine })
      } else if (summary.error !== undefined) {
        failed++
        expect(summary.error).toMatch(/^module "m\.wasm" is (malformed: |\d+ bytes long)/)
      }
    }
    expect(accepted).toBeGreaterThan(100)
    expect(failed).toBeGreaterThan(100)
  })

  it('names what is wrong', async () => {
    const cases: Array<[number[], RegExp]> = [
      [[...MODULE_HEADER, 0x0e, 0x00], /malformed: unknown section id 14 \(offset 8\)/],
      [[...MODULE_HEADER, ...section(7, [0x00]), ...section(2, [0x00])], /malformed: section 2 is repeated or out of order \(offset 11\)/],
      [[...MODULE_HEADER, 0x02, 0xff, 0xff, 0xff, 0xff, 0x7f], /malformed: the length of section 2 is not a valid u32 LEB128 \(offset 9\)/],
      [[...MODULE_HEADER, ...section(2, [0x01, ...name('a'), ...name('b'), 0x07])], /malformed: unknown import kind 0x07 in section 2 \(imports\) \(offset 15\)/],
      [[...MODULE_HEADER, ...section(2, [0x01, ...name('a'), ...name('b'), 0x03, 0x7f, 0x02])], /malformed: unknown global mutability 0x02 in section 2/],
      [[...MODULE_HEADER, ...section(2, [0x01, ...name('a'), ...name('b'), 0x01, 0x70, 0x08, 0x00])], /malformed: unknown table limits flags 0x08 \(known: 0x00 to 0x07, for a maximum, shared, 64-bit\) in section 2/],
      [[...MODULE_HEADER, ...section(2, [0x01, ...name('a'), ...name('b'), 0x03, 0x40, 0x00])], /malformed: unknown value type 0x40 in section 2/],
      [[...MODULE_HEADER, ...section(2, [0x01, 0x02, 0xc3, 0x28, ...name('b'), 0x00, 0x00])], /malformed: an import module name is not valid UTF-8 \(offset 12\)/],
      [[...MODULE_HEADER, ...section(7, [0x02, ...name('x'), 0x00, 0x00, ...name('x'), 0x00, 0x01])], /malformed: the export name "x" is repeated in section 7 \(exports\) \(offset 15\)/],
      [[...MODULE_HEADER, ...section(7, [0x01, ...name('x'), 0x05, 0x00])], /malformed: unknown export kind 0x05 in section 7/],
      [[...MODULE_HEADER, ...section(7, [0x00, 0xaa])], /malformed: section 7 \(exports\) has 1 byte after its last entry \(offset 11\)/],
      [[...MODULE_HEADER, ...section(7, [0xff, 0xff, 0xff, 0xff, 0x0f])], /malformed: section 7 \(exports\) ends in the middle of the length of an export name/],
      [[...MODULE_HEADER, 0x00, 0x02, 0x05, 0x61], /malformed: the name of the custom section at offset 8 runs past its end/],
      [[...MODULE_HEADER, ...section(1, [0x00]), 0x07, 0x10, 0x00], /malformed: section 7 runs past the end of the module \(it starts at offset 11 and declares 16 bytes, but only 1 follow\)/],
    ]
    for (const [bytes, pattern] of cases) {
      await expect(engineExterns(Uint8Array.from(bytes))).rejects.toThrow()
      const summary = await summarize(bytes, 3)
      expect(summary).toEqual({ kind: 'module', imports: [], exports: [], error: expect.stringMatching(pattern) })
      expect(summary.error).toMatch(/^module "m\.wasm" is malformed: /)
    }
  })

  it('a stream longer than its size is an error', async () => {
    const bytes = await watToWasm('empty.wat', '(module (func (export "f")))')
    expect((await summarize([...bytes, 0x00, 0x00], 7, bytes.length)).error).toBe(`module "m.wasm" is ${bytes.length + 2} bytes long, not the ${bytes.length} its size says; ${FIX}`)
  })

  it('reads the stream to its end even when the binary is malformed', async () => {
    let finished = false
    async function* source(): AsyncGenerator<Uint8Array> {
      yield Uint8Array.from([...MODULE_HEADER, 0x0e, 0x00])
      for (let i = 0; i < 100; i++) yield new Uint8Array(1000)
      finished = true
    }
    expect((await summarizeWasmStream(source(), 100_010, 'm.wasm')).error).toMatch(/unknown section id 14/)
    expect(finished).toBe(true)
  })

  it('a header that is not wasm throws, as classifyWasmHeader does; so does a failing source', async () => {
    await expect(summarize(Buffer.from('not wasm at all'))).rejects.toThrow('module "m.wasm" is not a WebAssembly binary')
    await expect(summarize([])).rejects.toThrow('module "m.wasm" is empty (0 bytes)')
    await expect(summarize([0x00, 0x61, 0x73, 0x6d, 0x01])).rejects.toThrow('module "m.wasm" is truncated: 5 bytes')
    await expect(summarize([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00])).rejects.toThrow('has an unknown WebAssembly version')
    const broken = new Error('disk on fire')
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield Uint8Array.from([...MODULE_HEADER, 0x00, 0x10])
      throw broken
    }
    await expect(summarizeWasmStream(failing(), 100, 'm.wasm')).rejects.toBe(broken)
  })
})

describe('inspectArchive', () => {
  const temp = tempDir()
  afterAll(async () => (await temp).cleanup())

  for (const format of FORMATS) {
    it(`${format}: a module's layer or file is summarized as the engine sees it, kept in memory or streamed from the archive`, async () => {
      const { dir } = await temp
      const small = await watToWasm('kinds.wat', EVERY_IMPORT_KIND)
      const expected = { kind: 'module', ...(await engineExterns(small)) }
      // Past KEEP_BYTES_LIMIT verify does not keep a raw wasm layer, so inspect streams it from the archive again.
      const padding = KEEP_BYTES_LIMIT + 1000
      const large = Buffer.concat([small, Uint8Array.from([0x00, ...leb(4 + padding), ...name('pad')]), new Uint8Array(padding)])
      for (const [title, bytes] of [['small', small], ['large', large]] as const) {
        const module = join(dir, `${format}-${title}.wasm`)
        await writeFile(module, bytes)
        const { path } = await packImage({ name: 'app', repo: 'example.com/app', tag: 'v1', format, modules: [module], output: join(dir, `${format}-${title}.tar`) })
        const inspection = await inspectArchive(path)
        expect(inspection.problems).toEqual([])
        const [layer] = inspection.images[0]!.layers
        expect(layer!.kind).toBe(format === 'compat' ? 'tar' : 'module')
        if (layer!.kind === 'tar') expect(layer!.files).toEqual([{ name: 'app.wasm', size: bytes.length, mode: 0o755, wasm: expected }])
        else expect(layer).toMatchObject({ kind: 'module', wasm: expected })
      }
    })
  }
})

describe('memory', () => {
  const CUSTOM_SIZE = 256 * 2 ** 20
  const CHUNK = 64 * 1024

  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void

  /** `head`, a custom section with CUSTOM_SIZE bytes of fresh 64 KiB chunks, then `tail`; samples live memory as it goes. */
  function huge(head: number[], tail: number[], sample: () => void): { size: number; chunks: AsyncIterable<Uint8Array> } {
    const label = name('big')
    const first = Uint8Array.from([...head, 0x00, ...leb(label.length + CUSTOM_SIZE), ...label])
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield first
      for (let sent = 0; sent < CUSTOM_SIZE; sent += CHUNK) {
        if (sent % (64 * CHUNK) === 0) sample()
        yield new Uint8Array(Math.min(CHUNK, CUSTOM_SIZE - sent))
      }
      yield Uint8Array.from(tail)
      sample()
    }
    return { size: first.length + CUSTOM_SIZE + tail.length, chunks: chunks() }
  }

  const live = (): number => {
    gc()
    const usage = process.memoryUsage()
    return usage.arrayBuffers + usage.heapUsed
  }

  for (const kind of ['module', 'component'] as const) {
    it(`summarizing a 256 MiB ${kind} keeps live memory growth under 32 MiB`, async () => {
      const [head, tail] = kind === 'module'
        ? [[...MODULE_HEADER, ...section(1, [0x01, 0x60, 0x00, 0x00]), ...section(2, [0x01, ...name('env'), ...name('f'), 0x00, 0x00]), ...section(3, [0x01, 0x00])],
            [...section(7, [0x01, ...name('run'), 0x00, 0x01]), ...section(10, [0x01, 0x02, 0x00, 0x0b])]]
        : [[...COMPONENT_HEADER, ...section(10, [0x01, 0x00, ...name('wasi:cli/environment@0.2.0'), 0x05, 0x00])],
            section(11, [0x01, 0x00, ...name('wasi:cli/run@0.2.0'), 0x05, 0x00, 0x00])]
      const before = live()
      let peak = before
      const { size, chunks } = huge(head, tail, () => {
        peak = Math.max(peak, live())
      })
      const summary = await summarizeWasmStream(chunks, size, `big-${kind}.wasm`)
      expect(summary).toEqual(kind === 'module'
        ? { kind, imports: ['env.f'], exports: ['run'] }
        : { kind, imports: ['wasi:cli/environment@0.2.0'], exports: ['wasi:cli/run@0.2.0'] })
      const growth = (peak - before) / 2 ** 20
      console.info(`[memory] 256 MiB ${kind}: peak live memory growth ${growth.toFixed(2)} MiB`)
      expect(growth).toBeLessThan(32)
    }, 120_000)
  }
})
