/**
 * One side of one provider in a loop, for `node --cpu-prof`: the server runs in its child as in
 * `pnpm bench`, only the chosen client side runs here, so the profile is that side's client cost.
 *
 *   node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof src/profile/clientLoop.ts socketio patchbay
 */
import { throughput } from '../providers/scenario.js';
import { createSide, type Provider } from '../providers/sides.js';
import { ServerChild } from '../servers/child.js';
import type { ServerKind } from '../servers/protocol.js';

const [provider = 'socketio', label = 'patchbay', messages = '4000', runs = '10'] =
  process.argv.slice(2);
const kind: ServerKind =
  provider === 'socketio' || provider === 'sse' ? 'hub' : (provider as ServerKind);
const server = await ServerChild.start(kind);
const side = await createSide(provider as Provider, label as 'raw' | 'patchbay', server.info);
const rates: number[] = [];
for (let run = 0; run < Number(runs); run++)
  rates.push(await throughput(side, Number(messages), 100));
console.log(`${provider} ${label}: ${rates.map((rate) => rate.toFixed(0)).join(', ')} msg/s`);
await side.close();
await server.stop();
process.exit(0);
