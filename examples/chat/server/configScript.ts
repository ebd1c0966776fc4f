import type { Backend } from './backends.js';

/** The body of `/patchbay-config.js`: tells the page which provider to use and where. */
export function configScript(
  backend: Pick<Backend, 'browserConfig' | 'tokenUrl' | 'historyUrl'>,
): string {
  const served = {
    config: backend.browserConfig,
    ...(backend.tokenUrl ? { tokenUrl: backend.tokenUrl } : {}),
    ...(backend.historyUrl ? { historyUrl: backend.historyUrl } : {}),
  };
  return `window.__PATCHBAY_CONFIG__ = ${JSON.stringify(served)};\n`;
}
