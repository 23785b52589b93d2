'use strict';
// Client-compatibility test: the real Huawei Cloud Node SDK core (@huaweicloud/huaweicloud-sdk-core,
// pinned in package.json / package-lock.json) talks AK/SK-signed HSS v5 to a real
// `portatlas serve` on 127.0.0.1. Nobody in this project wrote the client side.
//
//   PORTATLAS_BIN=/path/to/portatlas node --test huawei/hss_sdk.test.js
//
// Normally run through run.sh (CTest label "sdk"), which installs the pinned packages outside the
// source tree and copies this file to huawei/ beside common/ (harness.js: the server, tokens, the
// raw HTTP client). Quirks of the package (docs: /work/shared/spec/api-reference.md §2.3): it needs
// `uuid` without declaring it (pinned here), writes ~/.huaweicloud/application_id (HOME is pointed
// at a temp dir below, before the package is loaded) and logs every error response through
// log4js to stdout (harmless noise in the test output).
//
// Everything listens on and talks to 127.0.0.1 only.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { BIN, LOOPBACK, Server, createToken, makeTempRoot, removeTempRoot } = require('../common/harness');

const PROJECT = '0123456789abcdef0123456789abcdef';
const SKEW_OK_MS = 14 * 60 * 1000; // inside the 15-minute window the gateway allows
const SKEW_BAD_MS = 16 * 60 * 1000; // outside it

// ---- isolation: temp root, HOME, data dir (before the SDK is loaded) -------------------------
const { root: ROOT, home: HOME, data: DATA } = makeTempRoot('portatlas-sdk-');
process.env.HOME = HOME; // os.homedir() reads $HOME: the SDK writes HOME/.huaweicloud/application_id

const SDK = '@huaweicloud/huaweicloud-sdk-core';
const { ClientBuilder } = require(`${SDK}/ClientBuilder`);
const { BasicCredentials } = require(`${SDK}/auth/BasicCredentials`);
const { ClientRequestException } = require(`${SDK}/exception/ClientRequestException`);
const { ServiceResponseException } = require(`${SDK}/exception/ServiceResponseException`);
const SDK_VERSION = require(`${SDK}/package.json`).version;
// Modules the SDK itself loads (same instances): moment, whose documented moment.now hook is the
// signer's clock for X-Sdk-Date, and log4js, which the SDK sets to print every error response
// (with the axios config) to stdout: silenced unless PORTATLAS_SDK_LOG=1.
const sdkRequire = (name) => require(require.resolve(name, { paths: [path.dirname(require.resolve(`${SDK}/package.json`))] }));
const moment = sdkRequire('moment');
if (!process.env.PORTATLAS_SDK_LOG) sdkRequire('log4js').getLogger().level = 'off';

// ---- test data: two hosts with known ports ----------------------------------------------------
const AGENT_A = 'a'.repeat(64);
const AGENT_B = 'b0'.repeat(32);
const HOST_A = 'host-a-0001';
const HOST_B = 'host-b-0002';
const HOST_B_NAME = "web (b)!*'~"; // characters the SDK sends raw but signs percent-encoded

function sock(laddr, port, type, pid, p, extra = {}) {
  return {
    laddr, port, type, pid, path: p, comm: path.basename(p), sharers: 1, container_id: '',
    container_runtime: '', netns: 4026531840, netns_name: '', exe_deleted: false, uid: 0,
    inode: 10000 + port, ...extra,
  };
}

const SNAPSHOTS = [
  {
    host_id: HOST_A, agent_id: AGENT_A, host_name: 'db-a', host_ip: '198.18.0.1',
    collected_at: Date.now() - 1000, seq: 1,
    ports: [
      sock('0.0.0.0', 22, 'TCP', 101, '/usr/sbin/sshd'),
      sock('::', 22, 'TCP6', 101, '/usr/sbin/sshd'),
      sock('0.0.0.0', 8080, 'TCP', 202, '/usr/bin/java'),
      sock('127.0.0.53', 53, 'UDP', 303, '/usr/lib/systemd/systemd-resolved'),
    ],
  },
  {
    host_id: HOST_B, agent_id: AGENT_B, host_name: HOST_B_NAME, host_ip: '198.18.0.2',
    collected_at: Date.now() - 1000, seq: 1,
    ports: [
      sock('0.0.0.0', 22, 'TCP', 111, '/usr/sbin/sshd'),
      sock('0.0.0.0', 80, 'TCP', 222, '/usr/sbin/nginx'),
      sock('0.0.0.0', 8080, 'TCP', 333, '/usr/bin/python3'),
      sock('0.0.0.0', 18080, 'TCP', 444, '/opt/app/bin/app'),
    ],
  },
];

// (port, type) -> number of hosts with it open
const EXPECTED_STATS = [
  { port: 22, type: 'TCP', num: 2 },
  { port: 22, type: 'TCP6', num: 1 },
  { port: 53, type: 'UDP', num: 1 },
  { port: 80, type: 'TCP', num: 1 },
  { port: 8080, type: 'TCP', num: 2 },
  { port: 18080, type: 'TCP', num: 1 },
];
const STATUSES = ['normal', 'danger', 'unknow', 'unknown'];
const PORT_FIELDS = ['agent_id', 'container_id', 'host_id', 'laddr', 'path', 'pid', 'port', 'status', 'type'];

// ---- helpers -----------------------------------------------------------------------------------
const server = new Server(DATA);
const state = { aksk: null, token: null };

function sdkClient({ ak = state.aksk.ak, sk = state.aksk.sk, projectId = PROJECT, endpoint = server.base } = {}) {
  const cred = new BasicCredentials().withAk(ak).withSk(sk).withProjectId(projectId);
  return new ClientBuilder((hc) => hc).withCredential(cred).withEndpoint(endpoint).build();
}

function hssGet(client, url, queryParams = {}, headers = {}, extra = {}) {
  return client.sendRequest({
    method: 'GET', url, contentType: 'application/json', queryParams, pathParams: {}, headers, ...extra,
  });
}

const listPorts = (q, c = sdkClient()) => hssGet(c, '/v5/{project_id}/asset/ports', q);
const listPortStatistics = (q, c = sdkClient()) => hssGet(c, '/v5/{project_id}/asset/port/statistics', q);

// Runs fn with the SDK's clock (moment.now, used by its signer for X-Sdk-Date) shifted by skewMs.
async function withSdkClockSkew(skewMs, fn) {
  const original = moment.now;
  moment.now = () => Date.now() + skewMs;
  try {
    return await fn();
  } finally {
    moment.now = original;
  }
}

function sdkDate(ms) {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

// Asserts that promise rejects with a ClientRequestException of the given status and code.
async function assertRefused(promise, httpStatusCode, errorCode, msgPattern) {
  let err;
  try {
    const r = await promise;
    assert.fail(`expected ${httpStatusCode} ${errorCode}, got success: ${JSON.stringify(r)}`);
  } catch (e) {
    err = e;
  }
  if (err instanceof assert.AssertionError) throw err;
  assert.ok(err instanceof ClientRequestException, `not a ClientRequestException: ${err && err.stack}`);
  assert.ok(err instanceof ServiceResponseException);
  assert.equal(err.httpStatusCode, httpStatusCode, `errorMsg: ${err.errorMsg}`);
  assert.equal(err.errorCode, errorCode);
  assert.equal(typeof err.requestId, 'string', 'requestId (from X-Request-Id) missing');
  assert.ok(err.requestId.length > 0);
  assert.equal(typeof err.errorMsg, 'string');
  if (msgPattern) assert.match(err.errorMsg, msgPattern);
  return err;
}

const portKey = (p) => `${p.laddr}|${p.port}|${p.type}`;
const statKey = (s) => `${s.port}|${s.type}|${s.num}`;
const sortedKeys = (rows, f) => rows.map(f).sort();

// ---- the tests ---------------------------------------------------------------------------------
describe(`@huaweicloud/huaweicloud-sdk-core ${SDK_VERSION} (node ${process.version}) against portatlas serve`, () => {
  before(async () => {
    assert.ok(BIN, 'set PORTATLAS_BIN to the portatlas binary');
    assert.ok(fs.existsSync(BIN), `no portatlas binary at ${BIN}`);
    // One credential made before serve starts, one while it runs: both must work.
    state.aksk = createToken(DATA, PROJECT, { aksk: true });
    assert.equal(state.aksk.project, PROJECT);
    assert.ok(state.aksk.ak && state.aksk.sk, 'token create --aksk printed no ak/sk');
    await server.start();
    state.token = createToken(DATA, PROJECT);
    assert.ok(state.token.token, 'token create printed no token');

    const r = await server.request({
      method: 'POST', target: '/v1/ingest/ports',
      headers: { 'X-Auth-Token': state.token.token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ snapshots: SNAPSHOTS }),
    });
    assert.equal(r.status, 200, r.body);
    assert.ok(r.headers['x-request-id']);
    assert.equal(r.json.results.length, 2, r.body);
    for (const [i, res] of r.json.results.entries()) {
      assert.equal(res.host_id, SNAPSHOTS[i].host_id);
      assert.equal(res.applied, true, r.body);
      assert.equal(res.ports, SNAPSHOTS[i].ports.length, r.body);
    }
  });

  after(async () => {
    await server.stop();
    removeTempRoot(ROOT);
  });

  describe('ListPorts (GET /v5/{project_id}/asset/ports)', () => {
    it('returns exactly the ports of one host, with the HSS fields', async () => {
      for (const snap of SNAPSHOTS) {
        const r = await listPorts({ host_id: snap.host_id });
        assert.equal(r.httpStatusCode, 200);
        assert.equal(r.total_num, snap.ports.length);
        assert.equal(r.data_list.length, snap.ports.length);
        assert.deepEqual(sortedKeys(r.data_list, portKey), sortedKeys(snap.ports, portKey));
        const sent = new Map(snap.ports.map((p) => [portKey(p), p]));
        for (const item of r.data_list) {
          assert.deepEqual(Object.keys(item).sort(), PORT_FIELDS, JSON.stringify(item));
          const want = sent.get(portKey(item));
          assert.equal(item.host_id, snap.host_id);
          assert.equal(item.agent_id, snap.agent_id);
          assert.equal(item.pid, want.pid);
          assert.equal(item.path, want.path);
          assert.equal(item.container_id, '');
          assert.equal(typeof item.port, 'number');
          assert.ok(STATUSES.includes(item.status), `status ${item.status}`);
        }
      }
    });

    it('answers with an X-Request-Id header (as generated clients copy it: responseHeaders)', async () => {
      const r = await hssGet(sdkClient(), '/v5/{project_id}/asset/ports', { host_id: HOST_A }, {},
        { responseHeaders: ['X-Request-Id'] });
      assert.equal(r.httpStatusCode, 200);
      assert.equal(typeof r['X-Request-Id'], 'string');
      assert.ok(r['X-Request-Id'].length > 0);
      assert.equal(r.total_num, 4);
    });

    it('honours the port / type filters and the record offset', async () => {
      const byPort = await listPorts({ host_id: HOST_A, port: 22 });
      assert.deepEqual(sortedKeys(byPort.data_list, portKey), ['0.0.0.0|22|TCP', '::|22|TCP6']);
      const byType = await listPorts({ host_id: HOST_A, type: 'UDP' });
      assert.deepEqual(sortedKeys(byType.data_list, portKey), ['127.0.0.53|53|UDP']);
      const all = await listPorts({ host_id: HOST_A, limit: 10, offset: 0 });
      const page = await listPorts({ host_id: HOST_A, limit: 10, offset: 2 });
      assert.equal(page.total_num, 4);
      assert.deepEqual(page.data_list, all.data_list.slice(2));
      // An empty value goes on the wire as `host_name=` and is signed as such.
      const empty = await listPorts({ host_id: HOST_A, host_name: '' });
      assert.equal(empty.total_num, 4);
      const none = await listPorts({ host_id: 'no-such-host' });
      assert.equal(none.httpStatusCode, 200);
      assert.deepEqual([none.total_num, none.data_list], [0, []]);
    });

    it('refuses limit=201 and a missing host_id with 400 HSS.0001', async () => {
      await assertRefused(listPorts({ host_id: HOST_A, limit: 201 }), 400, 'HSS.0001');
      await assertRefused(listPorts({}), 400, 'HSS.0001');
    });
  });

  describe('ListPortStatistics (GET /v5/{project_id}/asset/port/statistics)', () => {
    it('returns the (port, type, num) groups over both hosts, ascending by default', async () => {
      const r = await listPortStatistics({});
      assert.equal(r.httpStatusCode, 200);
      assert.equal(r.total_num, EXPECTED_STATS.length);
      assert.deepEqual(sortedKeys(r.data_list, statKey), sortedKeys(EXPECTED_STATS, statKey));
      for (const item of r.data_list) {
        assert.deepEqual(Object.keys(item).sort(), ['num', 'port', 'status', 'type']);
        assert.ok(STATUSES.includes(item.status), `status ${item.status}`);
      }
      const ports = r.data_list.map((s) => s.port);
      assert.deepEqual(ports, [...ports].sort((a, b) => a - b));
    });

    it('port_string, sort_key=port, sort_dir=desc, limit, offset', async () => {
      const q = { port_string: '80', category: 'host', sort_key: 'port', sort_dir: 'desc', limit: 10, offset: 0 };
      const r = await listPortStatistics(q);
      assert.equal(r.total_num, 3);
      assert.deepEqual(r.data_list.map((s) => [s.port, s.type, s.num]),
        [[18080, 'TCP', 1], [8080, 'TCP', 2], [80, 'TCP', 1]]);
      const next = await listPortStatistics({ ...q, offset: 1 });
      assert.equal(next.total_num, 3);
      assert.deepEqual(next.data_list.map((s) => s.port), [8080, 80]);
      const asc = await listPortStatistics({ ...q, sort_dir: 'asc' });
      assert.deepEqual(asc.data_list.map((s) => s.port), [80, 8080, 18080]);
    });

    it('exact port and type filters', async () => {
      const r = await listPortStatistics({ port: 22 });
      assert.deepEqual(sortedKeys(r.data_list, statKey), ['22|TCP6|1', '22|TCP|2']);
      const t = await listPortStatistics({ port: 22, type: 'TCP6' });
      assert.deepEqual(t.data_list.map(statKey), ['22|TCP6|1']);
    });

    it('enterprise_project_id "0" and all_granted_eps give the same groups as none', async () => {
      const plain = await listPortStatistics({ limit: 50 });
      for (const eps of ['0', 'all_granted_eps']) {
        const r = await listPortStatistics({ limit: 50, enterprise_project_id: eps });
        assert.equal(r.total_num, plain.total_num, eps);
        assert.deepEqual(r.data_list, plain.data_list, eps);
      }
    });

    it('refuses limit=201 and sort_key=num with 400 HSS.0001', async () => {
      await assertRefused(listPortStatistics({ limit: 201 }), 400, 'HSS.0001');
      await assertRefused(listPortStatistics({ sort_key: 'num' }), 400, 'HSS.0001');
    });
  });

  describe('sibling port APIs through the same client', () => {
    it('ListPortHost: the hosts with a port open; host_name with !*\'() in the query', async () => {
      const c = sdkClient();
      const r = await hssGet(c, '/v5/{project_id}/asset/ports/detail', { port: 8080 });
      assert.equal(r.total_num, 2);
      assert.deepEqual(r.data_list.map((h) => h.host_id).sort(), [HOST_A, HOST_B]);
      // The SDK sends these characters raw (querystring.stringify) but signs them %-encoded.
      const named = await hssGet(c, '/v5/{project_id}/asset/ports/detail', { port: 8080, host_name: HOST_B_NAME });
      assert.equal(named.httpStatusCode, 200);
      assert.deepEqual(named.data_list.map((h) => [h.host_id, h.host_name, h.pid]), [[HOST_B, HOST_B_NAME, 333]]);
      const odd = await hssGet(c, '/v5/{project_id}/asset/ports/detail', { port: 8080, host_name: "a b!*'()~é/+=&" });
      assert.deepEqual([odd.httpStatusCode, odd.total_num], [200, 0]);
    });

    it('ShowAssetStatistic: port_num', async () => {
      const r = await hssGet(sdkClient(), '/v5/{project_id}/asset/statistic', {});
      assert.equal(r.port_num, 8);
      const a = await hssGet(sdkClient(), '/v5/{project_id}/asset/statistic', { host_id: HOST_A });
      assert.equal(a.port_num, 4);
    });
  });

  describe('authentication failures', () => {
    it('a wrong secret key: 401 APIGW.0301 with the X-Request-Id as requestId', async () => {
      const bad = sdkClient({ sk: `${state.aksk.sk}x` });
      const e = await assertRefused(listPorts({ host_id: HOST_A }, bad), 401, 'APIGW.0301', /verify aksk signature fail/);
      const e2 = await assertRefused(listPortStatistics({}, bad), 401, 'APIGW.0301');
      assert.notEqual(e.requestId, e2.requestId, 'each response should carry its own request id');
    });

    it('an unknown access key: 401 APIGW.0301', async () => {
      await assertRefused(listPortStatistics({}, sdkClient({ ak: 'NOSUCHAK0000000000000' })), 401, 'APIGW.0301');
    });

    it('a client clock 16 minutes off (either way) is refused; 14 minutes off is accepted', async () => {
      await withSdkClockSkew(-SKEW_BAD_MS, () =>
        assertRefused(listPortStatistics({}), 401, 'APIGW.0301', /x-sdk-date/i));
      await withSdkClockSkew(+SKEW_BAD_MS, () =>
        assertRefused(listPorts({ host_id: HOST_A }), 401, 'APIGW.0301', /x-sdk-date/i));
      // Control: the skewed clock really drove the signature, and a signature made 14 min ago
      // is otherwise valid, so the refusals above are about the date alone.
      const ok = await withSdkClockSkew(-SKEW_OK_MS, () => listPortStatistics({}));
      assert.equal(ok.httpStatusCode, 200);
      assert.equal(ok.total_num, EXPECTED_STATS.length);
    });

    it('a caller-supplied stale X-Sdk-Date (the SDK signs with it) is refused', async () => {
      const c = sdkClient();
      const url = '/v5/{project_id}/asset/ports';
      await assertRefused(hssGet(c, url, { host_id: HOST_A }, { 'X-Sdk-Date': sdkDate(Date.now() - SKEW_BAD_MS) }),
        401, 'APIGW.0301', /x-sdk-date/i);
      const ok = await hssGet(c, url, { host_id: HOST_A }, { 'X-Sdk-Date': sdkDate(Date.now()) });
      assert.equal(ok.total_num, 4);
    });

    it('a credential of another project cannot read this project', async () => {
      const other = createToken(DATA, 'other-project', { aksk: true });
      const c = sdkClient({ ak: other.ak, sk: other.sk, projectId: other.project });
      const own = await listPortStatistics({}, c);
      assert.deepEqual([own.httpStatusCode, own.total_num], [200, 0]);
      // Same signature, but the path names PROJECT: the {project_id} is filled in by hand.
      let err;
      try {
        await hssGet(c, `/v5/${PROJECT}/asset/port/statistics`, {});
      } catch (e) { err = e; }
      assert.ok(err instanceof ClientRequestException, `expected a refusal, got ${err}`);
      assert.ok([401, 403].includes(err.httpStatusCode), `status ${err.httpStatusCode}`);
      assert.match(err.errorCode, /^APIGW\./);
    });
  });

  describe('what the SDK puts on the wire', () => {
    it('signs as api-reference.md §2.2 says, and adds no enterprise_project_id', async () => {
      // A loopback recorder in place of the server, answering like HSS.
      const seen = [];
      const recorder = http.createServer((req, res) => {
        seen.push({ method: req.method, url: req.url, headers: req.headers });
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Request-Id': 'rec-1' });
        res.end('{"total_num":0,"data_list":[]}');
      });
      await new Promise((r) => recorder.listen(0, LOOPBACK, r));
      try {
        const { port } = recorder.address();
        const c = sdkClient({ endpoint: `http://${LOOPBACK}:${port}` });
        const q = { port_string: '22', category: 'host', sort_key: 'port', sort_dir: 'desc', limit: 10, offset: 0 };
        const r = await listPortStatistics(q, c);
        assert.deepEqual(r, { total_num: 0, data_list: [], httpStatusCode: 200 });
        assert.equal(seen.length, 1);
        const w = seen[0];
        const u = new URL(w.url, 'http://x');
        assert.equal(w.method, 'GET');
        assert.equal(u.pathname, `/v5/${PROJECT}/asset/port/statistics`);
        assert.deepEqual([...u.searchParams.keys()], Object.keys(q), 'query sent in caller order, nothing added');
        assert.equal(u.searchParams.has('enterprise_project_id'), false);
        assert.equal(w.headers['x-project-id'], PROJECT);
        assert.equal(w.headers['content-type'], 'application/json');
        assert.equal(w.headers.host, `${LOOPBACK}:${port}`);
        assert.match(w.headers['x-sdk-date'], /^\d{8}T\d{6}Z$/);
        assert.equal(w.headers['x-auth-token'], undefined);
        const m = /^SDK-HMAC-SHA256 Access=([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(w.headers.authorization);
        assert.ok(m, w.headers.authorization);
        assert.equal(m[1], state.aksk.ak);
        assert.equal(m[2], 'content-type;host;x-project-id;x-sdk-date');
        // Re-derive the signature from the wire request, independently of the SDK's code.
        const enc = (s) => encodeURIComponent(s).replace(/[!*'()]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
        const canonicalQuery = [...u.searchParams].map(([k, v]) => [enc(k), enc(v)]).sort()
          .map(([k, v]) => `${k}=${v}`).join('&');
        const names = m[2].split(';');
        const canonical = ['GET', `${u.pathname}/`, canonicalQuery,
          names.map((n) => `${n}:${String(w.headers[n]).trim()}\n`).join(''), m[2],
          crypto.createHash('sha256').update('').digest('hex')].join('\n');
        const sts = `SDK-HMAC-SHA256\n${w.headers['x-sdk-date']}\n${crypto.createHash('sha256').update(canonical).digest('hex')}`;
        assert.equal(crypto.createHmac('sha256', state.aksk.sk).update(sts).digest('hex'), m[3]);
      } finally {
        await new Promise((r) => recorder.close(r));
      }
    });

    it('kept the application_id file inside the temp HOME', () => {
      assert.ok(fs.existsSync(path.join(HOME, '.huaweicloud', 'application_id')));
    });
  });
});
