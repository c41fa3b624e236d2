import { open } from 'node:fs/promises'
import { WasmOciError, errnoCode, usageError } from './errors.ts'

export type WasmKind = 'module' | 'component'

const HEADER_SIZE = 8
const MAGIC = [0x00, 0x61, 0x73, 0x6d] // \0asm
/** Bytes 4..7: version 1 for a core module; version 0x0d, layer 1 for a component. */
const MODULE_VERSION = [0x01, 0x00, 0x00, 0x00]
const COMPONENT_VERSION = [0x0d, 0x00, 0x01, 0x00]

/** Whether `head` starts with the wasm magic `\0asm` (a module or a component). */
export function isWasmBinary(head: Uint8Array): boolean {
  return MAGIC.every((byte, i) => head[i] === byte)
}

/** Classifies a wasm binary by its 8-byte header, or says plainly why it is not one. */
export function classifyWasmHeader(header: Uint8Array, label: string): WasmKind {
  if (header.length === 0) throw usageError(`module "${label}" is empty (0 bytes): point at the .wasm file your build produced, not a placeholder`)
  if (!MAGIC.every((byte, i) => header[i] === byte)) {
    if (header.length < MAGIC.length && MAGIC.slice(0, header.length).every((byte, i) => header[i] === byte)) {
      throw usageError(`module "${label}" is truncated: ${header.length} bytes, fewer than the 8-byte WebAssembly header; rebuild it or check that it was copied whole`)
    }
    throw usageError(`module "${label}" is not a WebAssembly binary (it does not start with "\\0asm"): give a compiled .wasm file (compile .wat text with wat2wasm first); use --layer MEDIATYPE=PATH for a layer that is not wasm`)
  }
  if (header.length < HEADER_SIZE) {
    throw usageError(`module "${label}" is truncated: ${header.length} bytes, fewer than the 8-byte WebAssembly header; rebuild it or check that it was copied whole`)
  }
  const version = Array.from(header.subarray(4, HEADER_SIZE))
  if (version.every((byte, i) => byte === MODULE_VERSION[i])) return 'module'
  if (version.every((byte, i) => byte === COMPONENT_VERSION[i])) return 'component'
  const hex = version.map((byte) => byte.toString(16).padStart(2, '0')).join(' ')
  throw usageError(`module "${label}" has an unknown WebAssembly version (bytes ${hex}): expected 01 00 00 00 (core module) or 0d 00 01 00 (component)`)
}

export interface WasmFileInfo {
  kind: WasmKind
  size: number
}

/** Reads just the header of the file at `path`; `label` names it in errors (defaults to the path). */
export async function readWasmFileInfo(path: string, label = path): Promise<WasmFileInfo> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (error) {
    throw wasmFileError(error, label)
  }
  try {
    const stats = await handle.stat()
    if (stats.isDirectory()) throw usageError(`module "${label}" is a directory: give the path of a .wasm file (oci-tar-builder's -c/--components takes a directory)`)
    if (!stats.isFile()) throw usageError(`module "${label}" is not a regular file: give the path of a .wasm file`)
    const header = new Uint8Array(HEADER_SIZE)
    const { bytesRead } = await handle.read(header, 0, HEADER_SIZE, 0)
    return { kind: classifyWasmHeader(header.subarray(0, bytesRead), label), size: stats.size }
  } catch (error) {
    if (error instanceof WasmOciError) throw error
    throw wasmFileError(error, label)
  } finally {
    await handle.close()
  }
}

/** A failed open or read of a wasm file, as an error that names it and says what to do. */
export function wasmFileError(error: unknown, label: string, kind: 'module' | 'component' = 'module'): WasmOciError {
  const code = errnoCode(error)
  if (code === 'ENOENT') return usageError(`${kind} "${label}" does not exist: check the path (it is resolved against the current directory)`)
  if (code === 'EISDIR') return usageError(`${kind} "${label}" is a directory: give the path of a .wasm file`)
  if (code === 'EACCES') return usageError(`${kind} "${label}" cannot be read (permission denied): make it readable`)
  return new WasmOciError(`cannot read ${kind} "${label}": ${code ?? String(error)}`, { cause: error })
}
