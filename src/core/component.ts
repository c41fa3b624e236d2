import { type FileHandle, open } from 'node:fs/promises'
import { WasmOciError, usageError } from './errors.ts'
import { WasmCursor, hex, malformedWasm } from './wasm-cursor.ts'
import { wasmFileError } from './wasm.ts'

/**
 * The `component` field of a CNCF Wasm OCI artifact config: the names a component imports and
 * exports at its top level, each list sorted and de-duplicated.
 */
export interface ComponentWorld {
  /** e.g. `wasi:cli/run@0.2.0`, or a plain name such as `hello` for a function export. */
  exports: string[]
  imports: string[]
  /**
   * The WIT world the component targets. A component binary does not record it, so this is
   * always `null`, as in the reference implementation (bytecodealliance/rust-oci-wasm).
   */
  target: string | null
}

// The layout below follows the component model's Binary.md (preamble version 0x0d, layer 1).
const HEADER_SIZE = 8
const MAGIC = [0x00, 0x61, 0x73, 0x6d] // \0asm
const COMPONENT_VERSION = [0x0d, 0x00, 0x01, 0x00]
const MODULE_VERSION = [0x01, 0x00, 0x00, 0x00]
const COMPONENT_LAYER = 0x01
const IMPORT_SECTION = 10
const EXPORT_SECTION = 11
const LAST_SECTION = 12 // the 🪙 value section
/** A section id byte plus its length, a u32 LEB128 of at most 5 bytes. */
const SECTION_HEADER_MAX = 6

// Which top-level items make up the WIT world, as wit-parser's `decode` builds it (the
// reference tool lists `world.imports`/`world.exports` keys): imports of a function, an
// instance or a type, exports of a function or an instance. Core modules, components and
// values are not part of a world; wit-parser refuses other exports, this reader leaves them out.
const EXTERN_CORE_MODULE = 0x00
const EXTERN_FUNC = 0x01
const EXTERN_VALUE = 0x02
const EXTERN_TYPE = 0x03
const EXTERN_COMPONENT = 0x04
const EXTERN_INSTANCE = 0x05
const CORE_MODULE_TYPE = 0x11
const SORT_CORE = 0x00
const WORLD_IMPORTS = new Set([EXTERN_FUNC, EXTERN_TYPE, EXTERN_INSTANCE])
const WORLD_EXPORTS = new Set([EXTERN_FUNC, EXTERN_INSTANCE]) // sort and externtype share codes 1..5

const NAME_PLAIN = 0x00
const NAME_LEGACY = 0x01
const NAME_WITH_ATTRIBUTES = 0x02
const ATTRIBUTE_IMPLEMENTS = 0x00
const ATTRIBUTE_VERSION_SUFFIX = 0x01
const ATTRIBUTE_EXTERNAL_ID = 0x02
/** An interface name ending in a (canonical) version, such as `wasi:http/types@0.2`. */
const VERSIONED_INTERFACE = /^[a-z][\w-]*(?::[a-z][\w-]*)+(?:\/[A-Za-z][\w-]*)+@[\w.+-]+$/

/** Reads the top-level imports/exports of the component at `path` without loading it whole:
 *  positional reads of section headers, skipping every section payload it doesn't need
 *  (components can be hundreds of MiB). `label` names the input in errors (defaults to path). */
export async function readComponentWorld(path: string, label: string = path): Promise<ComponentWorld> {
  let handle: FileHandle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw wasmFileError(error, label, 'component')
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) throw usageError(`component "${label}" is not a regular file: give the path of a .wasm file`)
    return await readComponentWorldWith(stats.size, label, (request) => readAt(handle, request))
  } catch (error) {
    if (error instanceof WasmOciError) throw error
    throw wasmFileError(error, label, 'component')
  } finally {
    await handle.close()
  }
}

/** Same, over bytes already in memory. */
export function parseComponentWorld(bytes: Uint8Array, label: string = '<bytes>'): ComponentWorld {
  const walker = walkComponent(bytes.length, label)
  let step = walker.next()
  while (!step.done) step = walker.next(bytes.subarray(step.value.offset, step.value.offset + step.value.length))
  return step.value
}

/**
 * Same, answering the parser's reads with `read`: they go forward, each starting at or after the
 * last one's start (a read may overlap the previous one by at most 6 bytes), so a stream can serve them.
 */
export async function readComponentWorldWith(size: number, label: string, read: (request: ReadRequest) => Promise<Uint8Array>): Promise<ComponentWorld> {
  const walker = walkComponent(size, label)
  let step = walker.next()
  while (!step.done) step = walker.next(await read(step.value))
  return step.value
}

/** A positional read that the walker asks its driver for; a short answer means the input ended. */
export interface ReadRequest {
  offset: number
  length: number
}

/** The parser, written once for both drivers: it yields the reads it needs and gets the bytes back. */
function* walkComponent(size: number, label: string): Generator<ReadRequest, ComponentWorld, Uint8Array> {
  checkHeader(yield { offset: 0, length: Math.min(HEADER_SIZE, size) }, label)
  const imports = new Set<string>()
  const exports = new Set<string>()
  let offset = HEADER_SIZE
  while (offset < size) {
    const head = new Cursor(yield { offset, length: Math.min(SECTION_HEADER_MAX, size - offset) }, offset, label, 'the file')
    const id = head.byte('a section id')
    if (id > LAST_SECTION) throw malformed(label, `unknown section id ${id}`, offset)
    const length = head.u32(`the length of section ${id}`)
    const start = head.offset
    if (start + length > size) {
      throw malformed(label, `section ${id} runs past the end of the file (it starts at offset ${offset} and declares ${length} bytes, but only ${size - start} follow)`)
    }
    if (id === IMPORT_SECTION || id === EXPORT_SECTION) {
      const what = id === IMPORT_SECTION ? 'imports' : 'exports'
      const payload = new Cursor(yield { offset: start, length }, start, label, `section ${id} (${what})`)
      if (id === IMPORT_SECTION) readImports(payload, imports)
      else readExports(payload, exports)
      payload.expectEnd()
    }
    offset = start + length
  }
  return { exports: [...exports].sort(), imports: [...imports].sort(), target: null }
}

function checkHeader(header: Uint8Array, label: string): void {
  if (header.length === 0) throw malformed(label, 'the file is empty')
  if (!MAGIC.every((byte, i) => i >= header.length || header[i] === byte)) {
    throw usageError(`component "${label}" is not a WebAssembly binary (it does not start with "\\0asm"): give a compiled component .wasm file`)
  }
  if (header.length < HEADER_SIZE) throw malformed(label, `the file ends inside the ${HEADER_SIZE}-byte header (it has ${header.length} bytes)`)
  const version = Array.from(header.subarray(MAGIC.length))
  if (version.every((byte, i) => byte === COMPONENT_VERSION[i])) return
  if (version.every((byte, i) => byte === MODULE_VERSION[i])) {
    throw usageError(`"${label}" is a core WebAssembly module, not a component (bytes 4..7 are 01 00 00 00): only a component has a world of imports and exports to read`)
  }
  const hex = version.map((byte) => byte.toString(16).padStart(2, '0')).join(' ')
  if (version[2] === COMPONENT_LAYER && version[3] === 0) {
    throw usageError(`component "${label}" uses component binary version 0x${hex.slice(0, 2)} (bytes 4..7 are ${hex}), not 0x0d: rebuild it with a current toolchain (wasm-tools, cargo-component, jco)`)
  }
  throw usageError(`"${label}" has an unknown WebAssembly version (bytes 4..7 are ${hex}): expected 0d 00 01 00 for a component`)
}

// import ::= nameattributes externtype
function readImports(c: Cursor, into: Set<string>): void {
  for (let count = c.u32('the import count'); count > 0; count--) {
    const name = readName(c)
    if (WORLD_IMPORTS.has(skipExternType(c))) into.add(name)
  }
}

// export ::= nameattributes sortidx externtype?
function readExports(c: Cursor, into: Set<string>): void {
  for (let count = c.u32('the export count'); count > 0; count--) {
    const name = readName(c)
    const sort = c.byte('an export sort')
    if (sort === SORT_CORE) c.byte('an export core sort')
    else if (sort > EXTERN_INSTANCE) throw c.error(`unknown export sort 0x${hex(sort)}`)
    c.u32('an export index')
    const ascribed = c.byte('an export type marker')
    if (ascribed === 1) skipExternType(c)
    else if (ascribed !== 0) throw c.error(`unknown export type marker 0x${hex(ascribed)}`)
    if (WORLD_EXPORTS.has(sort)) into.add(name)
  }
}

// nameattributes ::= 0x00 name | 0x01 name | 0x02 name vec(attribute)
function readName(c: Cursor): string {
  const form = c.byte('a name')
  if (form !== NAME_PLAIN && form !== NAME_LEGACY && form !== NAME_WITH_ATTRIBUTES) throw c.error(`unknown name encoding 0x${hex(form)}`)
  const name = c.string('a name')
  if (form !== NAME_WITH_ATTRIBUTES) return name
  let suffix = ''
  for (let count = c.u32('the attribute count'); count > 0; count--) {
    const kind = c.byte('a name attribute')
    if (kind === ATTRIBUTE_VERSION_SUFFIX) suffix = c.string('a version suffix')
    else if (kind === ATTRIBUTE_IMPLEMENTS || kind === ATTRIBUTE_EXTERNAL_ID) c.string('a name attribute')
    else throw c.error(`unknown name attribute 0x${hex(kind)}`)
  }
  // `wasi:http/types@0.2` + versionsuffix `.6` is `wasi:http/types@0.2.6` in the decoded world.
  return suffix && VERSIONED_INTERFACE.test(name) ? name + suffix : name
}

/** Steps over an externtype and returns its kind. */
function skipExternType(c: Cursor): number {
  const kind = c.byte('an extern type')
  switch (kind) {
    case EXTERN_CORE_MODULE:
      if (c.byte('a core module type') !== CORE_MODULE_TYPE) throw c.error('a core extern type other than a module')
      c.u32('a type index')
      break
    case EXTERN_FUNC:
    case EXTERN_COMPONENT:
    case EXTERN_INSTANCE:
      c.u32('a type index')
      break
    case EXTERN_VALUE: {
      const bound = c.byte('a value bound')
      if (bound === 0) c.u32('a value index')
      else if (bound === 1) c.skipLeb('a value type')
      else throw c.error(`unknown value bound 0x${hex(bound)}`)
      break
    }
    case EXTERN_TYPE: {
      const bound = c.byte('a type bound')
      if (bound === 0) c.u32('a type index')
      else if (bound !== 1) throw c.error(`unknown type bound 0x${hex(bound)}`)
      break
    }
    default:
      throw c.error(`unknown extern type 0x${hex(kind)}`)
  }
  return kind
}

/** The shared reader, naming this parser's binaries `component` in errors. */
class Cursor extends WasmCursor {
  constructor(bytes: Uint8Array, base: number, label: string, region: string) {
    super(bytes, base, label, region, 'component')
  }
}

function malformed(label: string, what: string, offset?: number, cause?: unknown): WasmOciError {
  return malformedWasm('component', label, what, offset, cause)
}

/** Reads `length` bytes at `offset`, fewer only where the file ends. */
async function readAt(handle: FileHandle, { offset, length }: ReadRequest): Promise<Uint8Array> {
  const buffer = new Uint8Array(length)
  let filled = 0
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, offset + filled)
    if (bytesRead === 0) break
    filled += bytesRead
  }
  return buffer.subarray(0, filled)
}
