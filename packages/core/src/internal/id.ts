/** A message id: an idempotency key receivers deduplicate on. */
export function createMessageId(): string {
  const cryptoApi = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (cryptoApi?.randomUUID) return cryptoApi.randomUUID();
  let id = '';
  for (let i = 0; i < 4; i++)
    id += Math.floor(Math.random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return `${id.slice(0, 8)}-${id.slice(8, 12)}-4${id.slice(13, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`;
}
