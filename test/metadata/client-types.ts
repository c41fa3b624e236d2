/// <reference path="../../client.d.ts" />
// Checked by `tsc --noEmit -p .` (not run by vitest): client.d.ts types both spellings of a
// ?oci import as exactly the OciImage the plugin exports.
import type { OciImage } from '../../src/plugin/types.ts'
import add from '../fixtures/plugin/oci/add.wasm?oci'
import hello from '../fixtures/plugin/oci/hello.wasm?format=artifact&tag=v2&oci'

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

export const addIsOciImage: Equal<typeof add, OciImage> = true
export const helloIsOciImage: Equal<typeof hello, OciImage> = true
