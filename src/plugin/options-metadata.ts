import { join } from 'node:path'
import { type CreatedSource, validateAnnotationKey } from '../core/annotations.ts'
import { parseReference, validateTag } from '../core/reference.ts'
import { pluginError } from './errors.ts'
import type { AnnotationsOption, AutoAnnotations, Options, PushConfig, ResolvedOptions, ResolvedPush } from './types.ts'

export const DEFAULT_REPORT_FILE = 'oci-report.json'
const CREATED_SOURCES: readonly CreatedSource[] = ['source-date-epoch', 'commit', false]
const PUSH_KEYS: ReadonlyArray<keyof PushConfig> = ['reference', 'tags', 'credentials', 'insecure', 'caFile', 'dockerConfig']
/** `[name]` and `[tag]` in a push reference template, as bundlers spell file name placeholders. */
const PLACEHOLDER = /\[([^\]]*)\]/g
const PLACEHOLDERS: Record<string, string> = { name: 'name', tag: 'latest' }

/** The explicit annotations, keys checked; `auto` is not one of them. */
export function resolveAnnotations(option: AnnotationsOption): Record<string, string> {
  if (option === 'auto') return {}
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw pluginError(`annotations option ${JSON.stringify(option)} is not known: use 'auto', or an object such as { "org.opencontainers.image.vendor": "Acme", auto: true }`, { usage: true })
  }
  const annotations: Record<string, string> = {}
  for (const [key, value] of Object.entries(option)) {
    if (key === 'auto') continue
    validateAnnotationKey(key, 'annotations option key')
    if (typeof value !== 'string') {
      throw pluginError(`annotations option has ${JSON.stringify(key)}: ${JSON.stringify(value)}: annotation values must be strings`, { usage: true })
    }
    annotations[key] = value
  }
  return annotations
}

export function resolveAutoAnnotations(option: AnnotationsOption): ResolvedOptions['autoAnnotations'] {
  const auto: boolean | AutoAnnotations | undefined = option === 'auto' ? true : typeof option === 'object' && option !== null ? option.auto : undefined
  if (auto === undefined || auto === false) return undefined
  if (auto === true) return { created: 'source-date-epoch' }
  if (typeof auto !== 'object' || auto === null) {
    throw pluginError(`annotations option has auto: ${JSON.stringify(auto)}: use true, or { created: 'commit' }`, { usage: true })
  }
  const created = auto.created ?? 'source-date-epoch'
  if (!CREATED_SOURCES.includes(created)) {
    throw pluginError(`annotations option has auto.created ${JSON.stringify(created)}: use 'source-date-epoch' (SOURCE_DATE_EPOCH, else none), 'commit' (the HEAD commit's time) or false; the clock is never used`, { usage: true })
  }
  return { created }
}

export function resolveReport(report: boolean | string, outDir: string): string | undefined {
  if (report === false) return undefined
  if (report === true) return join(outDir, DEFAULT_REPORT_FILE)
  if (typeof report === 'string' && report.trim() !== '' && !/[\\/]$/.test(report)) return report
  throw pluginError(`report option ${JSON.stringify(report)} is not a file path: use true for <outDir>/${DEFAULT_REPORT_FILE}, or a path such as "oci/report.json"`, { usage: true })
}

export function resolvePush(push: NonNullable<Options['push']>): ResolvedPush | undefined {
  if (push === false) return undefined
  if (push === true) return { reference: undefined, tags: [], registry: {} }
  if (typeof push === 'string') return { reference: checkTemplate(push), tags: [], registry: {} }
  if (typeof push !== 'object' || push === null || Array.isArray(push)) {
    throw pluginError(`push option ${JSON.stringify(push)} is not known: use true, a reference such as "ghcr.io/acme/[name]:[tag]", or { reference, tags }`, { usage: true })
  }
  const unknown = Object.keys(push).filter((key) => !(PUSH_KEYS as readonly string[]).includes(key))
  if (unknown.length > 0) throw pluginError(`push option has unknown key(s) ${unknown.join(', ')}: use ${PUSH_KEYS.join(', ')}`, { usage: true })
  const { reference, tags = [], credentials, insecure, caFile, dockerConfig } = push
  if (!Array.isArray(tags)) throw pluginError(`push option tags must be an array of tags such as ["v1.2.3"], not ${JSON.stringify(tags)}`, { usage: true })
  for (const [name, value] of Object.entries({ caFile, dockerConfig })) {
    if (value !== undefined && (typeof value !== 'string' || value === '')) throw pluginError(`push option ${name} must be a file path, not ${JSON.stringify(value)}`, { usage: true })
  }
  if (insecure !== undefined && typeof insecure !== 'boolean') throw pluginError(`push option insecure must be true or false, not ${JSON.stringify(insecure)}`, { usage: true })
  return {
    reference: reference === undefined ? undefined : checkTemplate(reference),
    tags: tags.map((tag) => validateTag(tag, 'push option tag')),
    registry: {
      ...(credentials !== undefined && { credentials }),
      ...(insecure !== undefined && { insecure }),
      ...(caFile !== undefined && { caFile }),
      ...(dockerConfig !== undefined && { dockerConfig }),
    },
  }
}

/** Fills `[name]` and `[tag]` of a push reference template. */
export function fillTemplate(template: string, values: { name: string; tag: string }): string {
  return template.replace(PLACEHOLDER, (_, key: string) => values[key as keyof typeof values])
}

function checkTemplate(template: string): string {
  if (typeof template !== 'string' || template.trim() === '') {
    throw pluginError(`push option reference ${JSON.stringify(template)} is not a reference: use one such as "ghcr.io/acme/[name]:[tag]"`, { usage: true })
  }
  for (const [, key] of template.matchAll(PLACEHOLDER)) {
    if (PLACEHOLDERS[key!] === undefined) throw pluginError(`push option reference "${template}" has the unknown placeholder [${key}]: use [name] and [tag]`, { usage: true })
  }
  const example = template.replace(PLACEHOLDER, (_, key: string) => PLACEHOLDERS[key]!)
  const parsed = parseReference(example, example === template ? 'push option reference' : `push option reference "${template}", filled in as`)
  if (parsed.digest !== undefined) throw pluginError(`push option reference "${template}" names a digest: drop "@${parsed.digest}", the digest is the image's own`, { usage: true })
  return template
}
