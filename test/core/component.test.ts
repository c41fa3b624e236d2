import { componentWit, parse as parseWat, print as printWasm } from '@bytecodealliance/jco'
import { execFile } from 'node:child_process'
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ComponentWorld, parseComponentWorld, readComponentWorld } from '../../src/core/component.ts'
import { WasmOciError } from '../../src/core/errors.ts'
import { leb, name, section } from '../helpers/wasm-bytes.ts'

const FIXTURES = fileURLToPath(new URL('../fixtures/components/', import.meta.url))
const JCO_CLI = fileURLToPath(new URL('../../node_modules/@bytecodealliance/jco/dist/jco.js', import.meta.url))
const FIX = 'rebuild it or check that the file was copied whole'
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]

/** What each fixture's world must hold; jco wit and both readers are checked against it. */
const EXPECTED: Record<string, Omit<ComponentWorld, 'target'>> = {
  'cli-command': {
    imports: ['error', 'wasi:cli/environment@0.2.0', 'wasi:cli/exit@0.2.0', 'wasi:cli/stderr@0.2.3', 'wasi:cli/stdout@0.2.3', 'wasi:io/error@0.2.0'],
    exports: ['wasi:cli/run@0.2.0'],
  },
  'mixed-exports': {
    imports: ['handle', 'log', 'wasi:clocks/monotonic-clock@0.2.0'],
    exports: ['counter', 'hello', 'wasi:http/incoming-handler@0.2.0'],
  },
  'no-imports': {
    imports: [],
    exports: ['version', 'wasi:cli/run@0.2.0'],
  },
  'name-attributes': {
    imports: ['primary', 'secondary', 'wasi:cli/environment@0.2.3'],
    exports: ['wasi:cli/run@0.2.0'],
  },
}

const jco = async (...args: string[]): Promise<string> =>
  (await promisify(execFile)(process.execPath, [JCO_CLI, ...args])).stdout

let dir: string
const built = new Map<string, string>()

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'component-test-'))
  const sources = (await readdir(FIXTURES)).filter((name) => name.endsWith('.wat'))
  expect(sources.sort()).toEqual(Object.keys(EXPECTED).map((name) => `${name}.wat`).sort())
  await Promise.all(sources.map(async (source) => {
    const out = join(dir, source.replace(/\.wat$/, '.wasm'))
    await jco('parse', join(FIXTURES, source), '-o', out)
    built.set(basename(source, '.wat'), out)
  }))
}, 60_000)

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

/**
 * The world in the WIT that `jco wit` prints, keyed as wit-parser keys it (what the reference
 * tool lists): `import NAME: …`/`import ID;` lines, and world-level types (`resource`, `type`,
 * `use ….{…}`) as imports.
 */
function witWorld(wit: string): Omit<ComponentWorld, 'target'> {
  const imports = new Set<string>()
  const exports = new Set<string>()
  let depth = 0
  let inWorld = false
  for (const line of wit.split('\n').map((text) => text.trim())) {
    if (depth === 0 && /^world \S+ \{$/.test(line)) {
      inWorld = true
      depth = 1
      continue
    }
    if (inWorld && depth === 1) {
      let m: RegExpExecArray | null
      if ((m = /^(import|export) %?([^\s;]+?)(?::\s|;)/.exec(line))) (m[1] === 'import' ? imports : exports).add(m[2]!)
      else if ((m = /^(?:resource|type) %?([\w-]+)/.exec(line))) imports.add(m[1]!)
      else if ((m = /^use \S+\.\{(.+)\};$/.exec(line))) {
        for (const item of m[1]!.split(',')) imports.add(item.trim().split(/\s+as\s+/).pop()!.replace(/^%/, ''))
      }
    }
    depth += (line.match(/\{/g)?.length ?? 0) - (line.match(/\}/g)?.length ?? 0)
    if (inWorld && depth === 0) break
  }
  expect(inWorld, `no world in:\n${wit}`).toBe(true)
  return { imports: [...imports].sort(), exports: [...exports].sort() }
}

/** An import section of functions (externtype 0x01, type index 0) with plain names. */
const funcImports = (...names: string[]): number[] => section(10, [...leb(names.length), ...names.flatMap((n) => [0x00, ...name(n), 0x01, 0x00])])

/** Both readers must throw a WasmOciError naming `label` and matching `pattern`. */
async function expectBothFail(bytes: Uint8Array | number[], label: string, pattern: RegExp): Promise<void> {
  const data = Uint8Array.from(bytes)
  const path = join(dir, label)
  await writeFile(path, data)
  const fromBytes = (() => {
    try {
      parseComponentWorld(data, label)
    } catch (error) {
      return error
    }
    throw new Error('parseComponentWorld did not throw')
  })()
  const fromFile = await readComponentWorld(path, label).then(() => { throw new Error('readComponentWorld did not throw') }, (error: unknown) => error)
  for (const error of [fromBytes, fromFile]) {
    expect(error).toBeInstanceOf(WasmOciError)
    expect((error as Error).message).toContain(`"${label}"`)
    expect((error as Error).message).toMatch(pattern)
  }
  expect((fromFile as Error).message).toBe((fromBytes as Error).message)
}

describe('readComponentWorld / parseComponentWorld on components built by jco', () => {
  for (const [fixture, expected] of Object.entries(EXPECTED)) {
    it(`${fixture}: matches \`jco wit\``, async () => {
      const path = built.get(fixture)!
      const fromWit = witWorld(await jco('wit', path))
      expect(fromWit).toEqual(expected)
      const world = { ...expected, target: null }
      expect(await readComponentWorld(path)).toEqual(world)
      expect(parseComponentWorld(await readFile(path))).toEqual(world)
    })
  }

  it('lists are sorted by plain string order and de-duplicated', () => {
    const bytes = [...HEADER, ...funcImports('zeta', 'Alpha', 'beta'), ...funcImports('beta', 'alpha')]
    expect(parseComponentWorld(Uint8Array.from(bytes)).imports).toEqual(['Alpha', 'alpha', 'beta', 'zeta'])
  })

  it('exports other than functions and instances are left out (the reference decoder refuses them)', async () => {
    const bytes = await parseWat(`(component
      (core module $m (func (export "f") (result i32) i32.const 0))
      (core instance $i (instantiate $m))
      (func $f (result u32) (canon lift (core func $i "f")))
      (type $t u32)
      (export "f" (func $f))
      (export "m" (core module $m))
      (export "t" (type $t))
    )`)
    await expect(componentWit(bytes)).rejects.toThrow('component export `m` was not a function or instance')
    expect(parseComponentWorld(bytes)).toEqual({ exports: ['f'], imports: [], target: null })
  })

  it('an empty component (header only) has an empty world', () => {
    expect(parseComponentWorld(Uint8Array.from(HEADER))).toEqual({ exports: [], imports: [], target: null })
  })

  it('reads a multi-GiB file by position, skipping payloads it does not need', async () => {
    // A sparse file: imports, then a 3 GiB custom section, then an export section. Reading it
    // whole would fail (readFile refuses files over 2 GiB) or take seconds and gigabytes.
    const customLength = 3 * 2 ** 30
    const head = [...HEADER, ...funcImports('wasi:cli/environment@0.2.0'), 0x00, ...leb(customLength)]
    const tail = section(11, [0x01, 0x00, ...name('wasi:cli/run@0.2.0'), 0x05, 0x00, 0x00])
    const path = join(dir, 'sparse.wasm')
    const handle = await open(path, 'w')
    try {
      await handle.write(Uint8Array.from(head), 0, head.length, 0)
      await handle.write(Uint8Array.from(tail), 0, tail.length, head.length + customLength)
    } finally {
      await handle.close()
    }
    expect(await readComponentWorld(path)).toEqual({ exports: ['wasi:cli/run@0.2.0'], imports: ['wasi:cli/environment@0.2.0'], target: null })
    await rm(path)
  })
})

describe('errors', () => {
  it('every truncation gives the clear error, except at section boundaries where jco agrees it is whole', async () => {
    // jco's `print` (wasmprinter) is the judge of "whole": it accepts a prefix only at a top-level
    // section boundary. (`componentWit` reads in a stream and also takes a cut at a boundary
    // *inside* a nested component or core module section as whole, so it cannot be the judge.)
    for (const fixture of ['cli-command', 'name-attributes']) {
      const bytes = await readFile(built.get(fixture)!)
      let whole = 0
      for (let cut = 0; cut < bytes.length; cut++) {
        const part = bytes.subarray(0, cut)
        const label = `${fixture}-cut-${cut}.wasm`
        const printed = await printWasm(part).then(() => true, () => false)
        if (!printed) {
          await expectBothFail(part, label, new RegExp(`^component "${label}" is malformed: .*; ${FIX}$`))
        } else {
          whole++
          const world = { ...witWorld(await componentWit(part)), target: null }
          expect(parseComponentWorld(part, label)).toEqual(world)
        }
      }
      // The 8-byte header alone and each section end before the last are valid prefixes.
      expect(whole).toBeGreaterThan(3)
      expect(whole).toBeLessThan(bytes.length / 10)
    }
  }, 60_000)

  it('names what is cut inside the header', async () => {
    const bytes = await readFile(built.get('no-imports')!)
    await expectBothFail(bytes.subarray(0, 0), 'empty.wasm', /^component "empty\.wasm" is malformed: the file is empty; /)
    await expectBothFail(bytes.subarray(0, 5), 'five.wasm', /is malformed: the file ends inside the 8-byte header \(it has 5 bytes\); /)
    await expectBothFail(bytes.subarray(0, 9), 'nine.wasm', /is malformed: the file ends in the middle of the length of section \d+ \(offset 9\); /)
  })

  it('a section length pointing past the end of the file', async () => {
    const bytes = [...(await readFile(built.get('no-imports')!))]
    await expectBothFail([...bytes, 0x0b, ...leb(1000), 0x01, 0x02, 0x03], 'past-end.wasm',
      new RegExp(`^component "past-end\\.wasm" is malformed: section 11 runs past the end of the file \\(it starts at offset ${bytes.length} and declares 1000 bytes, but only 3 follow\\); ${FIX}$`))
  })

  it('garbage after the header', async () => {
    await expectBothFail([...HEADER, ...Buffer.from('not a component')], 'text.wasm', /malformed: unknown section id 110 \(offset 8\)/)
    await expectBothFail([...HEADER, 0xff, 0xff, 0xff, 0xff], 'ff.wasm', /malformed: unknown section id 255 \(offset 8\)/)
    await expectBothFail([...HEADER, 0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f], 'leb.wasm', /malformed: the length of section 10 is not a valid u32 LEB128 \(offset 9\)/)
    await expectBothFail([...HEADER, ...section(10, [0x05, 0x00, 0x01])], 'short-import.wasm', /malformed: a name runs past the end of section 10 \(imports\) \(offset 13\)/)
    await expectBothFail([...HEADER, ...section(10, [0x01, 0x00, ...name('a'), 0x09])], 'extern.wasm', /malformed: unknown extern type 0x09 in section 10 \(imports\) \(offset 14\)/)
    await expectBothFail([...HEADER, ...section(10, [0x01, 0x07, ...name('a'), 0x01, 0x00])], 'name-form.wasm', /malformed: unknown name encoding 0x07 in section 10 \(imports\)/)
    await expectBothFail([...HEADER, ...section(10, [0x01, 0x00, 0x02, 0xc3, 0x28, 0x01, 0x00])], 'utf8.wasm', /malformed: a name is not valid UTF-8 \(offset 13\)/)
    await expectBothFail([...HEADER, ...section(10, [0x01, 0x00, ...name('a'), 0x01, 0x00, 0xaa])], 'trailing.wasm', /malformed: section 10 \(imports\) has 1 byte after its last entry \(offset 16\)/)
    await expectBothFail([...HEADER, ...section(11, [0x01, 0x00, ...name('a'), 0x09, 0x00, 0x00])], 'sort.wasm', /malformed: unknown export sort 0x09 in section 11 \(exports\)/)
    // A count of 2^32-1 entries in a 6-byte section ends at the section's end, not in a long loop.
    await expectBothFail([...HEADER, ...section(10, [0xff, 0xff, 0xff, 0xff, 0x0f, 0x00])], 'count.wasm', /malformed: section 10 \(imports\) ends in the middle of the length of a name/)
  })

  it('never crashes on random corruption', async () => {
    const original = await readFile(built.get('cli-command')!)
    let seed = 0x2545f491
    const random = (limit: number): number => {
      seed ^= seed << 13
      seed ^= seed >>> 17
      seed ^= seed << 5
      return (seed >>> 0) % limit
    }
    let failed = 0
    for (let round = 0; round < 3000; round++) {
      const bytes = Uint8Array.from(original)
      for (let flips = 1 + random(3); flips > 0; flips--) bytes[HEADER.length + random(bytes.length - HEADER.length)] = random(256)
      try {
        const world = parseComponentWorld(bytes, 'fuzz.wasm')
        expect(world.target).toBeNull()
      } catch (error) {
        failed++
        expect(error).toBeInstanceOf(WasmOciError)
        expect((error as Error).message).toMatch(/^component "fuzz\.wasm" is malformed: /)
      }
    }
    expect(failed).toBeGreaterThan(100)
  })

  it('a core module is not a component', async () => {
    const module = await parseWat('(module (func (export "_start")))')
    expect(Array.from(module.subarray(4, 8))).toEqual([0x01, 0x00, 0x00, 0x00])
    await expectBothFail(module, 'core.wasm', /^"core\.wasm" is a core WebAssembly module, not a component \(bytes 4\.\.7 are 01 00 00 00\)/)
  })

  it('not WebAssembly, or another component binary version', async () => {
    await expectBothFail(Buffer.from('(component)\n'), 'text.wat', /^component "text\.wat" is not a WebAssembly binary \(it does not start with "\\0asm"\)/)
    await expectBothFail([0x00, 0x61, 0x73, 0x6d, 0x0a, 0x00, 0x01, 0x00], 'old.wasm', /^component "old\.wasm" uses component binary version 0x0a \(bytes 4\.\.7 are 0a 00 01 00\), not 0x0d/)
    await expectBothFail([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00], 'v2.wasm', /^"v2\.wasm" has an unknown WebAssembly version \(bytes 4\.\.7 are 02 00 00 00\)/)
  })

  it('a missing path or a directory', async () => {
    const missing = join(dir, 'missing.wasm')
    await expect(readComponentWorld(missing)).rejects.toThrow(`component "${missing}" does not exist`)
    await expect(readComponentWorld(dir, 'out')).rejects.toThrow('component "out" is not a regular file')
  })
})
