import { usageError } from './errors.ts'

/**
 * The timestamp every archive entry (and the artifact config's `created`) carries:
 * SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else 0. Never the clock.
 */
export function resolveSourceDateEpoch(value: number | string | undefined = process.env.SOURCE_DATE_EPOCH): number {
  if (value === undefined || value === '') return 0
  const seconds = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw usageError(`SOURCE_DATE_EPOCH "${value}" is not a whole, non-negative number of seconds: unset it, or set it to e.g. $(git log -1 --format=%ct)`)
  }
  return seconds
}
