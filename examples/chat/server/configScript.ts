import type { RealtimeConfig } from '@patchbay/realtime-core/config';

/** The body of `/patchbay-config.js`: tells the page which provider to use and where. */
export function configScript(config: RealtimeConfig): string {
  return `window.__PATCHBAY_CONFIG__ = ${JSON.stringify({ config })};\n`;
}
