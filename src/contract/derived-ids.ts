import { createHash } from 'node:crypto';

/** The service's own namespace for name-based (version 5) UUIDs of derived events. */
const NAMESPACE = Buffer.from('6f1c7b52-3c1e-4f0a-9a57-2f3d8b1e9c40'.replace(/-/g, ''), 'hex');

/** RFC 9562 UUIDv5: the same name always gives the same id, which the store keeps unique. */
export function uuidv5(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
