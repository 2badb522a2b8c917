// A static file server for the repository, for the web page and its tests.
// It serves files only from the repository root, never lists directories,
// never serves dotfiles (.git, .env) and responds to GET and HEAD only.
// Run it with `node scripts/serve.mjs` (port from PORT, default 8080).
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.c': 'text/plain; charset=utf-8',
  '.h': 'text/plain; charset=utf-8',
};

/** Returns the Content-Type for a file name; unknown extensions are binary. */
export function contentTypeOf(fileName) {
  return MIME_TYPES[path.extname(fileName).toLowerCase()] ?? 'application/octet-stream';
}

function sendStatus(response, status, message, headers = {}) {
  const body = `${status} ${message}\n`;
  response.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

/**
 * Maps a request path to an absolute file name inside root, or returns
 * { status } for a path that is malformed (400), leaves the root (403) or
 * names a dotfile (404). Percent-encoded separators and dots are decoded
 * before the check, so `%2e%2e%2f` is rejected like `../`.
 */
export function resolveRequestPath(root, requestPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return { status: 400 };
  }
  if (decoded.includes('\0')) return { status: 400 };

  const segments = decoded.split(/[/\\]/);
  if (segments.includes('..')) return { status: 403 };
  if (segments.some((segment) => segment.startsWith('.'))) return { status: 404 };

  const fileName = path.resolve(root, `.${path.sep}${segments.join(path.sep)}`);
  if (fileName !== root && !fileName.startsWith(root + path.sep)) return { status: 403 };
  return { fileName };
}

/**
 * Returns the URL path of a directory inside root, with a trailing slash. It is built
 * from the file name, so a request such as `//web` cannot redirect to
 * another host through a protocol-relative `//web/`.
 */
function directoryUrl(root, directory) {
  const segments = path.relative(root, directory).split(path.sep).filter(Boolean);
  return `/${segments.map(encodeURIComponent).join('/')}/`.replace(/^\/\/$/, '/');
}

async function handleRequest(root, request, response) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendStatus(response, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    return;
  }
  // The raw path is checked, before any URL normalization could drop a `..` segment.
  if (!request.url.startsWith('/')) {
    sendStatus(response, 400, 'Bad Request');
    return;
  }
  const queryStart = request.url.search(/[?#]/);
  const pathname = queryStart < 0 ? request.url : request.url.slice(0, queryStart);
  const search = queryStart < 0 ? '' : request.url.slice(queryStart).replace(/#.*/, '');
  if (pathname === '/') {
    sendStatus(response, 302, 'Found', { Location: `/web/${search}` });
    return;
  }

  const resolved = resolveRequestPath(root, pathname);
  if (resolved.status) {
    const messages = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found' };
    sendStatus(response, resolved.status, messages[resolved.status]);
    return;
  }

  let fileName = resolved.fileName;
  let info;
  try {
    // realpath follows symbolic links, so a link that points outside the root is caught here.
    fileName = await realpath(fileName);
    if (fileName !== root && !fileName.startsWith(root + path.sep)) {
      sendStatus(response, 403, 'Forbidden');
      return;
    }
    info = await stat(fileName);
    if (info.isDirectory()) {
      if (!pathname.endsWith('/')) {
        sendStatus(response, 301, 'Moved Permanently', { Location: `${directoryUrl(root, fileName)}${search}` });
        return;
      }
      fileName = path.join(fileName, 'index.html');
      info = await stat(fileName);
    }
  } catch (error) {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') {
      sendStatus(response, 404, 'Not Found');
      return;
    }
    throw error;
  }
  if (!info.isFile()) {
    sendStatus(response, 404, 'Not Found');
    return;
  }

  response.writeHead(200, {
    'Content-Type': contentTypeOf(fileName),
    'Content-Length': info.size,
    // A development server: the browser revalidates, so a rebuilt .wasm is picked up.
    'Cache-Control': 'no-cache',
    'X-Content-Type-Options': 'nosniff',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  const stream = createReadStream(fileName);
  stream.on('error', (error) => {
    console.error(`serve: reading ${fileName} failed: ${error.message}`);
    response.destroy(error);
  });
  stream.pipe(response);
}

/**
 * Starts the server and resolves with the listening http.Server.
 * port 0 picks a free port (read it from server.address().port).
 * root defaults to the repository root. host should stay a loopback
 * address: the server has no access control.
 */
export async function startServer({ port = 8080, host = '127.0.0.1', root = ROOT } = {}) {
  // The real path, so that files resolved through realpath compare equal to it.
  const realRoot = await realpath(root);
  const server = createServer((request, response) => {
    handleRequest(realRoot, request, response).catch((error) => {
      console.error(`serve: ${request.method} ${request.url} failed: ${error.stack ?? error}`);
      if (response.headersSent) {
        response.destroy(error);
      } else {
        sendStatus(response, 500, 'Internal Server Error');
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function portFromEnvironment() {
  const text = process.env.PORT ?? '8080';
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) {
    throw new Error(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return port;
}

async function main() {
  const server = await startServer({ port: portFromEnvironment() });
  const { address, port } = server.address();
  console.log(`serve: serving ${ROOT} at http://${address}:${port}/ (press Ctrl+C to stop)`);
  process.on('SIGINT', () => {
    server.close(() => {
      console.log('serve: server stopped');
      process.exit(0);
    });
    server.closeAllConnections();
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(`serve: the server failed to start: ${error.message}`);
    process.exit(1);
  });
}
