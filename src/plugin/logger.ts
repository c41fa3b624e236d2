import { isAbsolute, relative } from 'node:path'
import type { PackSummary } from '../core/pack.ts'

/** Where the plugin reports: each collector maps it onto its bundler's own logger. */
export interface Logger {
  info(message: string): void
  warn(message: string): void
}

const KILO = 1000

/** One line per archive: where it is, its reference, its size and its manifest digest. */
export function summaryLine(summary: PackSummary): string {
  const status = summary.written ? 'wrote' : 'unchanged'
  return `${status} ${displayPath(summary.path)}: ${summary.reference}, ${formatSize(summary.size)}, manifest ${summary.manifest.digest}`
}

/** A path relative to the working directory when it lies below it, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path
}

function formatSize(bytes: number): string {
  if (bytes < KILO) return `${bytes} B`
  if (bytes < KILO * KILO) return `${(bytes / KILO).toFixed(2)} kB`
  return `${(bytes / KILO / KILO).toFixed(2)} MB`
}
