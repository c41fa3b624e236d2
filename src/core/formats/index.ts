import { usageError } from '../errors.ts'
import type { ImagePlan } from '../plan.ts'
import { type RunwasiInput, planRunwasiImage } from './runwasi.ts'

export type Format = 'runwasi' | 'artifact' | 'compat'
export const FORMATS: readonly Format[] = ['runwasi', 'artifact', 'compat']

export interface PlanInput extends RunwasiInput {
  /** @default 'runwasi' */
  format?: Format
  /** Seconds since the epoch for timestamps inside the image (the artifact's `created`). */
  sourceDateEpoch: number
}

export function assertFormat(format: string, what = 'format'): Format {
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw usageError(`${what} "${format}" is not known: use one of ${FORMATS.join(', ')}`)
  }
  return format as Format
}

/** Builds the image plan for one image in the chosen format. */
export async function planImage(input: PlanInput): Promise<ImagePlan> {
  const format = assertFormat(input.format ?? 'runwasi')
  switch (format) {
    case 'runwasi':
      return planRunwasiImage(input)
    case 'artifact':
    case 'compat':
      throw usageError(`format "${format}" is not implemented yet: use the default runwasi format`)
  }
}
