import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const DIST = join(ROOT, 'dist')
const TSDOWN = join(ROOT, 'node_modules/tsdown/dist/run.mjs')

/**
 * Builds dist/ once per test run, because the CLI tests spawn dist/cli/*.js and the playground
 * imports the built package. Skipped when dist/ is newer than every source file (SKIP_BUILD=1
 * skips it outright). The build goes to a temp dir that is swapped in with two renames, so a
 * test file already running in another vitest process never sees dist/ half-empty.
 */
export default function setup(): void {
  if (process.env.SKIP_BUILD === '1' || isFresh()) return
  const staging = `${DIST}.tmp-${process.pid}`
  execFileSync(process.execPath, [TSDOWN, '--out-dir', staging], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] })
  const old = `${DIST}.old-${process.pid}`
  if (existsSync(DIST)) renameSync(DIST, old)
  renameSync(staging, DIST)
  rmSync(old, { recursive: true, force: true })
}

function newest(path: string): number {
  const stats = statSync(path)
  if (!stats.isDirectory()) return stats.mtimeMs
  return Math.max(stats.mtimeMs, ...readdirSync(path).map((name) => newest(join(path, name))))
}

function isFresh(): boolean {
  if (!existsSync(join(DIST, 'index.js'))) return false
  const sources = Math.max(newest(join(ROOT, 'src')), newest(join(ROOT, 'package.json')), newest(join(ROOT, 'tsdown.config.ts')))
  return statSync(join(DIST, 'index.js')).mtimeMs > sources
}
