import { resolveSourceDateEpoch } from '../core/epoch.ts'
import { assertFormat } from '../core/formats/index.ts'
import { validateRepository, validateTag } from '../core/reference.ts'
import { pluginError, rethrowPrefixed } from './errors.ts'
import { resolveAnnotations, resolveAutoAnnotations, resolvePush, resolveReport } from './options-metadata.ts'
import type { FilterPattern, NoWasmAction, Options, ResolvedOptions } from './types.ts'

const NO_WASM_ACTIONS: readonly NoWasmAction[] = ['warn', 'error', 'ignore']
export const DEFAULT_INCLUDE = '**/*.wasm'

/** Applies every default and checks every value; throws a usage error naming the option and the fix. */
export function resolveOptions(raw: Options = {}): ResolvedOptions {
  try {
    return {
      format: assertFormat(raw.format ?? 'runwasi', 'format option'),
      repo: resolveRepo(raw.repo ?? 'localhost'),
      tag: validateTag(raw.tag ?? 'latest', 'tag option'),
      name: resolveName(raw.name),
      outDir: resolveOutDir(raw.outDir ?? 'oci'),
      include: resolvePatterns('include', raw.include ?? DEFAULT_INCLUDE),
      exclude: resolvePatterns('exclude', raw.exclude ?? []),
      onNoWasm: resolveNoWasm(raw.onNoWasm ?? 'warn'),
      sourceDateEpoch: resolveEpoch(raw.sourceDateEpoch),
      annotations: resolveAnnotations(raw.annotations ?? {}),
      autoAnnotations: resolveAutoAnnotations(raw.annotations ?? {}),
      report: resolveReport(raw.report ?? false, raw.outDir ?? 'oci'),
      push: resolvePush(raw.push ?? false),
    }
  } catch (error) {
    rethrowPrefixed(error)
  }
}

export function resolveRepo(repo: string, what = 'repo option'): string {
  if (typeof repo !== 'string') throw pluginError(`${what} must be a string such as "ghcr.io/acme", not ${typeof repo}`, { usage: true })
  const trimmed = repo.replace(/\/+$/, '')
  if (trimmed === '') return ''
  // A registry host alone ("localhost:5000") is only valid with a path after it.
  validateRepository(trimmed.includes('/') || !trimmed.includes(':') ? trimmed : `${trimmed}/name`, what)
  return trimmed
}

function resolveName(name: Options['name']): ResolvedOptions['name'] {
  if (name === undefined || typeof name === 'function') return name
  throw pluginError(`name option must be a function such as (module) => module.defaultName, not ${JSON.stringify(name)}: archives are one per module, so one fixed name would collide`, { usage: true })
}

function resolveOutDir(outDir: string): string {
  if (typeof outDir === 'string' && outDir.trim() !== '') return outDir
  throw pluginError(`outDir option ${JSON.stringify(outDir)} is not a directory path: give one relative to the build's output directory, such as "oci"`, { usage: true })
}

function resolvePatterns(option: string, value: FilterPattern): Array<string | RegExp> {
  const patterns = typeof value === 'string' || value instanceof RegExp ? [value] : Array.isArray(value) ? [...value] : [value]
  for (const pattern of patterns) {
    if (typeof pattern === 'string' ? pattern === '' : !(pattern instanceof RegExp)) {
      throw pluginError(`${option} option has ${JSON.stringify(pattern)}: give glob strings such as "**/*.wasm" or regular expressions`, { usage: true })
    }
  }
  return patterns
}

function resolveNoWasm(action: NoWasmAction): NoWasmAction {
  if (NO_WASM_ACTIONS.includes(action)) return action
  throw pluginError(`onNoWasm option ${JSON.stringify(action)} is not known: use one of ${NO_WASM_ACTIONS.join(', ')}`, { usage: true })
}

function resolveEpoch(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined
  try {
    return resolveSourceDateEpoch(value === '' ? Number.NaN : value)
  } catch (error) {
    throw pluginError(`sourceDateEpoch option ${JSON.stringify(value)} is not a whole, non-negative number of seconds: use e.g. 1700000000, or leave it out to use SOURCE_DATE_EPOCH (else 0)`, { cause: error, usage: true })
  }
}
