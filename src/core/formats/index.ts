import { usageError } from '../errors.ts'
import type { ImagePlan } from '../plan.ts'
import { type ArtifactOptions, planArtifactImage } from './artifact.ts'
import { type CompatOptions, planCompatImage } from './compat.ts'
import { type RunwasiInput, planRunwasiImage } from './runwasi.ts'

export type Format = 'runwasi' | 'artifact' | 'compat'
export const FORMATS: readonly Format[] = ['runwasi', 'artifact', 'compat']

export interface PlanInput extends RunwasiInput, ArtifactOptions, CompatOptions {
  /**
   * `runwasi`: runwasi's wasm-layers image (containerd shims); `artifact`: the CNCF Wasm OCI
   * artifact (wkg, wasmCloud, Spin); `compat`: a tar-layer image for Docker+Wasm and podman.
   * The artifact and compat formats hold exactly one module.
   * @default 'runwasi'
   */
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
  // An option the chosen format cannot honour is an error, not a silent no-op.
  if (input.author !== undefined && format !== 'artifact') throw usageError(`author "${input.author}" is written only by the artifact format, not ${format}: drop it or use format "artifact"`)
  if (input.compression !== undefined && input.compression !== 'none' && format !== 'compat') {
    throw usageError(`compression "${input.compression}" applies only to the compat format's tar layer, not ${format} (its layers are raw wasm): drop it or use format "compat"`)
  }
  switch (format) {
    case 'runwasi':
      return planRunwasiImage(input)
    case 'artifact':
      return planArtifactImage(input)
    case 'compat':
      return planCompatImage(input)
  }
}
