/**
 * A small HTTP server on 127.0.0.1 that serves model folders in the Hugging Face Hub's path layout
 * (`/{owner}/{name}/resolve/{revision}/{file}`) and as plain URL prefixes (`/files/{folder}/{file}`),
 * for loader tests that must not touch the network. It can cut transfers short to test recovery.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize } from 'node:path';

export interface HubServerOptions {
  /** Repository id (`owner/name`) -> local folder. */
  repos: Record<string, string>;
  /** Folder name under /files/ -> local folder. */
  prefixes?: Record<string, string>;
}

export interface HubServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** Paths requested so far (with status), in order. */
  requests: { path: string; status: number }[];
  /**
   * The next `times` requests whose path ends with `suffix` send the full Content-Length but only
   * half the body, then drop the connection.
   */
  cutOff(suffix: string, times: number): void;
  close(): Promise<void>;
}

async function fileUnder(root: string, relative: string): Promise<string | null> {
  const path = normalize(join(root, decodeURIComponent(relative)));
  if (!path.startsWith(normalize(root))) return null;
  try {
    return (await stat(path)).isFile() ? path : null;
  } catch {
    return null;
  }
}

export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const requests: { path: string; status: number }[] = [];
  const cuts: { suffix: string; left: number }[] = [];

  async function resolve(pathname: string): Promise<string | null> {
    const hub = /^\/([^/]+\/[^/]+)\/resolve\/[^/]+\/(.+)$/.exec(pathname);
    if (hub && options.repos[hub[1]!]) return fileUnder(options.repos[hub[1]!]!, hub[2]!);
    const prefix = /^\/files\/([^/]+)\/(.+)$/.exec(pathname);
    if (prefix && options.prefixes?.[prefix[1]!]) return fileUnder(options.prefixes[prefix[1]!]!, prefix[2]!);
    return null;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = await resolve(pathname);
    if (file === null) {
      requests.push({ path: pathname, status: 404 });
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Entry not found');
      return;
    }
    const body = await readFile(file);
    requests.push({ path: pathname, status: 200 });
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.byteLength) });
    const cut = cuts.find((c) => c.left > 0 && pathname.endsWith(c.suffix));
    if (cut) {
      cut.left--;
      res.write(body.subarray(0, body.byteLength >> 1), () => res.destroy());
      return;
    }
    res.end(body);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => res.writeHead(500).end(e.message));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('hub server: no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    cutOff(suffix: string, times: number): void {
      cuts.push({ suffix, left: times });
    },
    close(): Promise<void> {
      server.closeAllConnections();
      return new Promise((done) => server.close(() => done()));
    },
  };
}
