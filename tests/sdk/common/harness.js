'use strict';
// The set-up the SDK client-compatibility tests (tests/sdk/<vendor>/*.test.js) share: a temp root,
// the portatlas CLI (PORTATLAS_BIN), a real `portatlas serve` on a free loopback port and a plain
// HTTP client for it. Each test keeps its vendor's SDK, that SDK's environment quirks and all
// assertions to itself.
//
// Tests require it as '../common/harness'; run_node_test.sh copies it to WORK_DIR/common/ next to
// WORK_DIR/<vendor>/, the layout of the source tree.
//
// Everything listens on and talks to 127.0.0.1 only.

const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const BIN = process.env.PORTATLAS_BIN;
const LOOPBACK = '127.0.0.1';
const REQUEST_TIMEOUT_MS = 10000;
const CLI_TIMEOUT_MS = 60000;
const START_DEADLINE_MS = 30000;
const START_ATTEMPTS = 5;
const STOP_DEADLINE_MS = 10000;

// Makes a fresh directory under os.tmpdir() named prefix + random, with empty home/ and data/ in
// it; returns {root, home, data}. Pointing $HOME at home is the test's business: when that has to
// happen depends on its SDK.
function makeTempRoot(prefix) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const home = path.join(root, 'home');
  const data = path.join(root, 'data');
  fs.mkdirSync(home);
  fs.mkdirSync(data);
  return { root, home, data };
}

// Removes a temp root, unless PORTATLAS_SDK_KEEP_TMP is set (to look at it after a failure).
function removeTempRoot(root) {
  if (!process.env.PORTATLAS_SDK_KEEP_TMP) fs.rmSync(root, { recursive: true, force: true });
}

// Runs the portatlas CLI and returns its stdout; throws if it fails or takes over a minute.
function portatlas(args) {
  return execFileSync(BIN, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: CLI_TIMEOUT_MS });
}

// `portatlas token create` on dataDir for project: the JSON it prints, parsed ({token, ...}, or
// {ak, sk, project, ...} with aksk).
function createToken(dataDir, project, { aksk = false } = {}) {
  const args = ['token', 'create', '--data-dir', dataDir, '--project', project];
  if (aksk) args.push('--aksk');
  return JSON.parse(portatlas(args));
}

// A loopback port that was free a moment ago (a listener may take it before the caller does).
function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, LOOPBACK, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A plain loopback HTTP request (no client library): {status, headers, body, json}; json is
// undefined when the body is not JSON.
function rawRequest({ method = 'GET', port, target, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: LOOPBACK, port, method, path: target, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: text, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${target}: timed out`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function exited(child) {
  return child.exitCode !== null || child.signalCode !== null;
}

// Whatever happens (an uncaught error, a failed hook), never leave a server running.
const running = new Set();
process.on('exit', () => {
  for (const child of running) if (!exited(child)) child.kill('SIGKILL');
});

// One `portatlas serve --data-dir dataDir` on 127.0.0.1. port and base (http://127.0.0.1:port) are
// set once start() resolves; output collects the server's stdout and stderr.
class Server {
  constructor(dataDir) {
    this.dataDir = dataDir;
    this.child = null;
    this.output = '';
    this.port = 0;
    this.base = null;
  }

  // Starts the server on a free loopback port and waits (with a deadline) until /healthz answers.
  // Retries on another port if the chosen one was taken in the meantime; throws with the server's
  // output if it does not come up.
  async start() {
    for (let attempt = 1; attempt <= START_ATTEMPTS; ++attempt) {
      const port = await freePort();
      this.output = '';
      const child = spawn(BIN, ['serve', '--data-dir', this.dataDir, '--listen', `${LOOPBACK}:${port}`],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      running.add(child);
      child.stdout.on('data', (c) => { this.output += c; });
      child.stderr.on('data', (c) => { this.output += c; });
      const exit = new Promise((resolve) => child.once('exit', resolve));
      exit.then(() => running.delete(child));
      this.child = child;
      this.port = port;
      const deadline = Date.now() + START_DEADLINE_MS;
      let pause = 5;
      while (Date.now() < deadline && !exited(child)) {
        try {
          const r = await rawRequest({ target: '/healthz', port });
          if (r.status === 200) {
            this.base = `http://${LOOPBACK}:${port}`;
            return;
          }
        } catch { /* not listening yet */ }
        // Poll interval, raced against the server dying: not a fixed wait for readiness.
        await Promise.race([exit, new Promise((r) => setTimeout(r, pause))]);
        pause = Math.min(pause * 2, 200);
      }
      if (!exited(child)) {
        await this.stop();
        throw new Error(`portatlas serve did not answer /healthz within ${START_DEADLINE_MS} ms:\n${this.output}`);
      }
      this.child = null;
      if (!/in use|EADDRINUSE|bind/i.test(this.output)) {
        throw new Error(`portatlas serve exited (${child.exitCode ?? child.signalCode}):\n${this.output}`);
      }
    }
    throw new Error(`portatlas serve could not bind a free port:\n${this.output}`);
  }

  // SIGTERM, then SIGKILL if the server has not exited within STOP_DEADLINE_MS. A no-op when it
  // is not running.
  async stop() {
    const child = this.child;
    this.child = null;
    if (!child || exited(child)) return;
    const exit = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    let timer;
    const killed = await Promise.race([exit.then(() => false),
      new Promise((r) => { timer = setTimeout(() => r(true), STOP_DEADLINE_MS); })]);
    clearTimeout(timer);
    if (killed && !exited(child)) {
      child.kill('SIGKILL');
      await exit;
    }
  }

  // rawRequest to this server.
  request(options) {
    return rawRequest({ port: this.port, ...options });
  }
}

module.exports = {
  BIN, LOOPBACK, REQUEST_TIMEOUT_MS, Server, createToken, freePort, makeTempRoot, removeTempRoot,
};
