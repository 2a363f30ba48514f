// Peers live in bench/peers/node_modules, outside Node's resolution path from bench/, so that
// users of the library never get them; this resolves them from there.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = fileURLToPath(new URL('../peers/', import.meta.url));

export const requirePeer = createRequire(new URL('../peers/package.json', import.meta.url));
