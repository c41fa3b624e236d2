import { createReadStream } from 'node:fs'
import { type FileHandle, open } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { archiveError, notTarError } from './archive-read.ts'
import { WasmOciError } from './errors.ts'
import { TAR_BLOCK as BLOCK } from './constants.ts'

/** PAX and GNU long-name records are a few hundred bytes; anything past this is not a header. */
const MAX_META_SIZE = 1 << 20

export type IndexedEntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other'

export interface IndexedEntry {
  name: string
  type: IndexedEntryType
  /** Byte offset of the entry's data in the archive. */
  offset: number
  /** Length of the entry's data. */
  size: number
}

export interface ArchiveIndex {
  path: string
  entries: IndexedEntry[]
  /** Regular files by entry name (a leading `./` dropped). */
  files: Map<string, IndexedEntry>
}

/**
 * Walks a tar's headers once, seeking past the data, and records where every regular file's
 * bytes sit. Nothing is hashed: the caller reads what it needs with `openEntry` (a ranged read
 * of the archive, so a layer is streamed straight to its destination) and checks digests there.
 */
export async function indexArchive(path: string): Promise<ArchiveIndex> {
  const handle = await openArchive(path)
  const index: ArchiveIndex = { path, entries: [], files: new Map() }
  try {
    let position = 0
    let pending: { name?: string; size?: number } = {}
    for (;;) {
      const header = await readAt(handle, position, BLOCK)
      const wrongKind = position === 0 && notTarError(path, header)
      if (wrongKind) throw wrongKind
      if (header.length < BLOCK) throw corrupt(path, position, 'the archive ends inside a header')
      if (header.every((byte) => byte === 0)) break
      if (!checksumMatches(header)) throw corrupt(path, position, 'a header checksum does not match')
      const flag = String.fromCharCode(header[156]!)
      const headerSize = parseSize(header)
      const size = pending.size ?? headerSize
      const offset = position + BLOCK
      position = offset + Math.ceil(size / BLOCK) * BLOCK
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > MAX_META_SIZE) throw corrupt(path, offset, `a ${size}-byte metadata record`)
        const data = await readAt(handle, offset, size)
        if (flag === 'x') pending = { ...pending, ...parsePax(data) }
        else if (flag === 'L') pending = { ...pending, name: cString(data, 0, data.length) }
        continue
      }
      const name = (pending.name ?? headerName(header)).replace(/^\.\//, '')
      pending = {}
      const entry: IndexedEntry = { name, type: entryType(flag), offset, size }
      index.entries.push(entry)
      if (entry.type === 'file') index.files.set(name, entry)
    }
  } finally {
    await handle.close()
  }
  return index
}

/** A stream of one entry's bytes, read straight from the archive. */
export function openEntry(index: ArchiveIndex, entry: IndexedEntry): Readable {
  if (entry.size === 0) return Readable.from([])
  return createReadStream(index.path, { start: entry.offset, end: entry.offset + entry.size - 1, highWaterMark: 1 << 20 })
}

/** One entry's bytes in memory: for the small JSON files (index.json, manifests, configs). */
export async function readEntry(index: ArchiveIndex, entry: IndexedEntry): Promise<Uint8Array> {
  const handle = await openArchive(index.path)
  try {
    const bytes = await readAt(handle, entry.offset, entry.size)
    if (bytes.length < entry.size) throw corrupt(index.path, entry.offset, `"${entry.name}" is cut short`)
    return bytes
  } finally {
    await handle.close()
  }
}

async function openArchive(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r')
  } catch (error) {
    throw await archiveError(path, error)
  }
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  let read = 0
  while (read < length) {
    const { bytesRead } = await handle.read(buffer, read, length - read, position + read)
    if (bytesRead === 0) break
    read += bytesRead
  }
  return buffer.subarray(0, read)
}

function corrupt(path: string, position: number, what: string): WasmOciError {
  return new WasmOciError(`archive "${path}" is not a valid tar (at byte ${position}: ${what}): check that it is an uncompressed OCI archive, and rebuild it if it was truncated`)
}

function cString(bytes: Uint8Array, start: number, end: number): string {
  const nul = bytes.indexOf(0, start)
  return Buffer.from(bytes.subarray(start, nul === -1 || nul > end ? end : nul)).toString('utf8')
}

function headerName(header: Buffer): string {
  const name = cString(header, 0, 100)
  // Only POSIX ustar ("ustar\0") has a prefix field; GNU ("ustar  ") keeps other data there.
  const posix = header.subarray(257, 263).toString('latin1') === 'ustar\0'
  const prefix = posix ? cString(header, 345, 500) : ''
  return prefix ? `${prefix}/${name}` : name
}

/** Octal, or base-256 (high bit set) for sizes past 8 GiB. */
function parseSize(header: Buffer): number {
  const field = header.subarray(124, 136)
  if (field[0]! & 0x80) return field.subarray(1).reduce((value, byte) => value * 256 + byte, field[0]! & 0x7f)
  return Number.parseInt(cString(field, 0, field.length).trim() || '0', 8)
}

function checksumMatches(header: Buffer): boolean {
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!
  return Number.parseInt(cString(header, 148, 156).trim(), 8) === sum
}

/** PAX records: `LENGTH key=value\n`; only `path` and `size` matter here. */
function parsePax(data: Uint8Array): { name?: string; size?: number } {
  const result: { name?: string; size?: number } = {}
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    const length = Number.parseInt(Buffer.from(data.subarray(at, space)).toString('latin1'), 10)
    if (space === -1 || !(length > 0)) break
    const record = Buffer.from(data.subarray(space + 1, at + length - 1)).toString('utf8')
    const equals = record.indexOf('=')
    const key = record.slice(0, equals)
    if (key === 'path') result.name = record.slice(equals + 1)
    if (key === 'size') result.size = Number(record.slice(equals + 1))
    at += length
  }
  return result
}

function entryType(flag: string): IndexedEntryType {
  if (flag === '0' || flag === '\0' || flag === '7') return 'file'
  if (flag === '5') return 'directory'
  if (flag === '2') return 'symlink'
  if (flag === '1') return 'link'
  return 'other'
}
