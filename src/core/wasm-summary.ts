import { type ReadRequest, readComponentWorldWith } from './component.ts'
import { WasmOciError } from './errors.ts'
import { type WasmKind, classifyWasmHeader } from './wasm.ts'
import { MALFORMED_FIX, U32_LEB_MAX, WasmCursor, hex, malformedWasm } from './wasm-cursor.ts'

export interface WasmSummary {
  kind: WasmKind
  /** A component's world imports (`wasi:cli/environment@0.2.0`), or a module's `module.name` imports. */
  imports: string[]
  /** A component's world exports, or a module's export names. */
  exports: string[]
  /** Why the imports and exports could not be read (a malformed binary). */
  error?: string
}

// The core module layout, from the spec's binary format and the memory64, threads,
// custom-page-sizes, exception-handling and GC proposals.
const HEADER_SIZE = 8
const CUSTOM_SECTION = 0
const IMPORT_SECTION = 2
const EXPORT_SECTION = 7
/** The order non-custom sections must come in (the tag section, 13, sits between memory and global). */
const SECTION_ORDER = [1, 2, 3, 4, 5, 13, 6, 7, 8, 9, 12, 10, 11]
/** A section id byte plus its length, a u32 LEB128 of at most 5 bytes. */
const SECTION_HEADER_MAX = 6
/** How far back a read may start before the furthest byte read (the walkers re-read header bytes). */
const LOOKBACK = 16
const U64_LEB_MAX = 10

const IMPORT_FUNC = 0x00
const IMPORT_TABLE = 0x01
const IMPORT_MEMORY = 0x02
const IMPORT_GLOBAL = 0x03
const IMPORT_TAG = 0x04
const EXPORT_KIND_MAX = IMPORT_TAG
const LIMITS_HAS_MAX = 0x01
const LIMITS_64 = 0x04
const LIMITS_PAGE_SIZE = 0x08
/** Table limits may be shared (0x02) or 64-bit (0x04); memory limits may also set a page size (0x08). */
const TABLE_FLAGS_MAX = 0x07
const MEMORY_FLAGS_MAX = 0x0f
const REF_NULL = 0x63 // followed by a heap type
const REF = 0x64
/** The one-byte types: v128 (0x7b) to i32 (0x7f), and the reference types exnref (0x69) to nullexnref (0x74). */
const isShortValType = (code: number): boolean => (code >= 0x7b && code <= 0x7f) || (code >= 0x69 && code <= 0x74)
const TAG_ATTRIBUTE_EXCEPTION = 0x00

/** `ignoreBOM` keeps a leading U+FEFF in a name, as the engine does. */
/**
 * What a wasm binary is and what it imports and exports, reading `chunks` (`size` bytes) forward
 * once to its end and keeping only the import and export sections. A binary that does not parse
 * says why in `error`; only a header that is not wasm, or a failing source, throws.
 */
export async function summarizeWasmStream(chunks: AsyncIterable<Uint8Array>, size: number, label: string): Promise<WasmSummary> {
  const reader = new ForwardReader(chunks[Symbol.asyncIterator]())
  const kind = classifyWasmHeader(await reader.readAt({ offset: 0, length: Math.min(HEADER_SIZE, size) }), label)
  const read = (request: ReadRequest): Promise<Uint8Array> => reader.readAt(request)
  try {
    let summary: WasmSummary
    if (kind === 'component') {
      const world = await readComponentWorldWith(size, label, read)
      summary = { kind, imports: world.imports, exports: world.exports }
    } else {
      const walker = walkModule(size, label)
      let step = walker.next()
      while (!step.done) step = walker.next(await read(step.value))
      summary = { kind, ...step.value }
    }
    const total = reader.position + (await reader.drain())
    if (total !== size) throw new WasmOciError(`${kind} "${label}" is ${total} bytes long, not the ${size} its size says; ${MALFORMED_FIX}`)
    return summary
  } catch (error) {
    if (reader.failure !== undefined && reader.failure === error) throw error
    await reader.drain()
    return { kind, imports: [], exports: [], error: error instanceof Error ? error.message : String(error) }
  }
}

/** A core module's `module.name` imports and its export names, in binary order; every other section is skipped. */
function* walkModule(size: number, label: string): Generator<ReadRequest, Pick<WasmSummary, 'imports' | 'exports'>, Uint8Array> {
  const imports: string[] = []
  const exports: string[] = []
  let offset = HEADER_SIZE
  let order = -1
  while (offset < size) {
    const head = new Cursor(yield { offset, length: Math.min(SECTION_HEADER_MAX, size - offset) }, offset, label, 'the module')
    const id = head.byte('a section id')
    if (id !== CUSTOM_SECTION) {
      const rank = SECTION_ORDER.indexOf(id)
      if (rank === -1) throw malformed(label, `unknown section id ${id}`, offset)
      if (rank <= order) throw malformed(label, `section ${id} is repeated or out of order`, offset)
      order = rank
    }
    const length = head.u32(`the length of section ${id}`)
    const start = head.offset
    if (length > size - start) {
      throw malformed(label, `section ${id} runs past the end of the module (it starts at offset ${offset} and declares ${length} bytes, but only ${size - start} follow)`)
    }
    if (id === CUSTOM_SECTION) {
      // Only the name's length is checked; the rest (a name section, DWARF, …) may be huge and is skipped.
      const name = new Cursor(yield { offset: start, length: Math.min(U32_LEB_MAX, length) }, start, label, `custom section at offset ${offset}`)
      if (name.u32('the length of its name') > length - (name.offset - start)) throw malformed(label, `the name of the custom section at offset ${offset} runs past its end`)
    } else if (id === IMPORT_SECTION || id === EXPORT_SECTION) {
      const payload = new Cursor(yield { offset: start, length }, start, label, `section ${id} (${id === IMPORT_SECTION ? 'imports' : 'exports'})`)
      if (id === IMPORT_SECTION) readImports(payload, imports)
      else readExports(payload, exports)
      payload.expectEnd()
    }
    offset = start + length
  }
  return { imports, exports }
}

// import ::= module:name name:name importdesc
function readImports(c: Cursor, into: string[]): void {
  for (let count = c.u32('the import count'); count > 0; count--) {
    const module = c.string('an import module name')
    const name = c.string('an import name')
    const kind = c.byte('an import kind')
    if (kind === IMPORT_FUNC) c.u32('a type index')
    else if (kind === IMPORT_TABLE) {
      skipValType(c, 'a table element type')
      skipLimits(c, 'table', TABLE_FLAGS_MAX)
    } else if (kind === IMPORT_MEMORY) skipLimits(c, 'memory', MEMORY_FLAGS_MAX)
    else if (kind === IMPORT_GLOBAL) {
      skipValType(c, 'a global type')
      const mutability = c.byte('a global mutability')
      if (mutability > 1) throw c.error(`unknown global mutability 0x${hex(mutability)}`)
    } else if (kind === IMPORT_TAG) {
      const attribute = c.byte('a tag attribute')
      if (attribute !== TAG_ATTRIBUTE_EXCEPTION) throw c.error(`unknown tag attribute 0x${hex(attribute)}`)
      c.u32('a type index')
    } else throw c.error(`unknown import kind 0x${hex(kind)}`)
    into.push(`${module}.${name}`)
  }
}

// export ::= name:name exportdesc (a kind byte and an index)
function readExports(c: Cursor, into: string[]): void {
  const seen = new Set<string>()
  for (let count = c.u32('the export count'); count > 0; count--) {
    const start = c.offset
    const name = c.string('an export name')
    const kind = c.byte('an export kind')
    if (kind > EXPORT_KIND_MAX) throw c.error(`unknown export kind 0x${hex(kind)}`)
    c.u32('an export index')
    if (seen.has(name)) throw c.errorAt(`the export name ${JSON.stringify(name)} is repeated`, start)
    seen.add(name)
    into.push(name)
  }
}

function skipValType(c: Cursor, what: string): void {
  const code = c.byte(what)
  if (code === REF || code === REF_NULL) c.skipLeb('a heap type', U32_LEB_MAX)
  else if (!isShortValType(code)) throw c.error(`unknown value type 0x${hex(code)}`)
}

// limits ::= flags min:u32|u64 max:(u32|u64)? pagesize-exponent:u32?
function skipLimits(c: Cursor, what: 'table' | 'memory', flagsMax: number): void {
  const flags = c.byte(`${what} limits`)
  if (flags > flagsMax) {
    throw c.error(`unknown ${what} limits flags 0x${hex(flags)} (known: 0x00 to 0x${hex(flagsMax)}, for a maximum, shared, 64-bit${what === 'memory' ? ', a custom page size' : ''})`)
  }
  const bound = (name: string): void => (flags & LIMITS_64 ? c.skipLeb(name, U64_LEB_MAX) : void c.u32(name))
  bound(`a ${what} minimum`)
  if (flags & LIMITS_HAS_MAX) bound(`a ${what} maximum`)
  if (flags & LIMITS_PAGE_SIZE) c.u32('a page size exponent')
}

/** The shared reader, naming this parser's binaries `module` in errors. */
class Cursor extends WasmCursor {
  constructor(bytes: Uint8Array, base: number, label: string, region: string) {
    super(bytes, base, label, region, 'module')
  }
}

function malformed(label: string, what: string, offset?: number, cause?: unknown): WasmOciError {
  return malformedWasm('module', label, what, offset, cause)
}

/**
 * Serves forward-going positional reads from a stream: the bytes between reads are skipped as
 * they arrive, and only the last LOOKBACK bytes read are kept for a read that starts a little back.
 */
class ForwardReader {
  /** How many bytes have been taken from the source. */
  position = 0
  /** The source's own error, which is the caller's to see rather than a malformed binary. */
  failure: unknown
  private chunk: Uint8Array = new Uint8Array(0)
  private at = 0
  /** The bytes just before `position` that the last read returned (at most LOOKBACK). */
  private tail: Uint8Array = new Uint8Array(0)

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  /** `length` bytes at `offset`, fewer only where the source ends. */
  async readAt({ offset, length }: ReadRequest): Promise<Uint8Array> {
    const back = Math.max(0, this.position - offset)
    if (back > this.tail.length) throw new Error(`ForwardReader: a read at ${offset} goes back past what was kept (position ${this.position})`)
    if (back === 0) await this.take(offset - this.position)
    const kept = this.tail.subarray(this.tail.length - back, this.tail.length - back + length)
    if (kept.length === length) return kept.slice()
    const result = new Uint8Array(length)
    result.set(kept)
    const filled = kept.length + (await this.take(length - kept.length, result, kept.length))
    if (filled > kept.length) this.tail = result.slice(Math.max(0, filled - LOOKBACK), filled)
    return result.subarray(0, filled)
  }

  /** Reads the source to its end; returns how many bytes that was. */
  async drain(): Promise<number> {
    return this.take(Infinity)
  }

  /** Takes up to `count` bytes, copying them into `into` at `at` when given; returns how many there were. */
  private async take(count: number, into?: Uint8Array, at = 0): Promise<number> {
    let taken = 0
    while (taken < count) {
      if (this.at === this.chunk.length && !(await this.next())) break
      const n = Math.min(count - taken, this.chunk.length - this.at)
      into?.set(this.chunk.subarray(this.at, this.at + n), at + taken)
      this.at += n
      taken += n
    }
    this.position += taken
    return taken
  }

  private async next(): Promise<boolean> {
    let step: IteratorResult<Uint8Array>
    try {
      step = await this.source.next()
    } catch (error) {
      this.failure = error
      throw error
    }
    this.chunk = step.done ? new Uint8Array(0) : step.value
    this.at = 0
    return !step.done
  }
}
