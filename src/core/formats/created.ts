import { usageError } from '../errors.ts'

/** 9999-12-31T23:59:59Z: past it, an ISO year needs six digits and is no longer RFC 3339. */
const MAX_RFC3339_SECONDS = 253_402_300_799

/**
 * A config's `created` from the resolved SOURCE_DATE_EPOCH, as chrono serializes a whole-second
 * `DateTime<Utc>` in the reference tool (bytecodealliance/rust-oci-wasm): `1970-01-01T00:00:00Z`,
 * no fraction, `Z` for UTC.
 */
export function formatCreated(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_RFC3339_SECONDS) {
    throw usageError(`SOURCE_DATE_EPOCH ${seconds} cannot be written as an RFC 3339 "created" time: use a value from 0 to ${MAX_RFC3339_SECONDS} (year 9999)`)
  }
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z')
}
