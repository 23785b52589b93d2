'use strict';
// Client-compatibility test: the real Alibaba Cloud Node clients (@alicloud/pop-core, signature
// V1, and @alicloud/openapi-client, signature V3 by default and V1 with signatureAlgorithm 'v2';
// pinned in package.json / package-lock.json) call the AVDS actions of a real `portatlas serve` on
// 127.0.0.1. The scan task they read is made by a real `portatlas scan` of a loopback listener.
// Nobody in this project wrote the client side.
//
//   PORTATLAS_BIN=/path/to/portatlas node --test aliyun/avds_sdk.test.js
//
// Normally run through run.sh (CTest label "sdk"), which installs the pinned packages outside the
// source tree and copies this file to aliyun/ beside common/ (harness.js: the server, tokens, the
// raw HTTP client). How the clients behave: /work/shared/spec/api-reference.md §6.
//
// Everything listens on and talks to 127.0.0.1 only.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFile } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const {
  BIN, LOOPBACK, REQUEST_TIMEOUT_MS, Server, createToken, freePort, makeTempRoot, removeTempRoot,
} = require('../common/harness');

const PROJECT = 'aliyun-sdk-project';
const VERSION = '2017-11-29';
const HOST_ID = 'avds.aliyuncs.com';
const UUID_RE = /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/;
const SCAN_TASK = 'sdk loopback scan';

// ---- isolation: temp root, HOME, data dir (before the clients are loaded) -------------------
const { root: ROOT, home: HOME, data: DATA } = makeTempRoot('portatlas-sdk-aliyun-');
process.env.HOME = HOME; // @alicloud/credentials looks for ~/.alibabacloud/credentials

const RPCClient = require('@alicloud/pop-core').RPCClient;
const OpenApi = require('@alicloud/openapi-client');
const Util = require('@alicloud/tea-util');
const POP_VERSION = require('@alicloud/pop-core/package.json').version;
const OPENAPI_VERSION = require('@alicloud/openapi-client/package.json').version;

// ---- helpers -----------------------------------------------------------------------------------
const server = new Server(DATA);
const state = {
  aksk: null, other: null, token: null, listener: null, openPort: 0, scanTaskId: 0, richTaskId: 0,
  foreignTaskId: 0,
};

async function native(method, target, body) {
  const r = await server.request({
    method, target, headers: { 'X-Auth-Token': state.token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.ok(r.status < 300, `${method} ${target}: ${r.status} ${r.body}`);
  return r.json;
}

// `portatlas scan -sV` of the given ports on 127.0.0.1, reporting to the server as a scan task.
function scan(ports, task) {
  return new Promise((resolve, reject) => {
    execFile(BIN, ['scan', '-sV', '-p', ports.join(','), LOOPBACK, '--server', server.base,
      '--token', state.token, '--task', task], { encoding: 'utf8', timeout: 120000 },
    (err, stdout, stderr) => (err ? reject(new Error(`portatlas scan: ${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

// ---- the two clients ---------------------------------------------------------------------------
const key = (over = {}) => ({ ak: state.aksk.ak, sk: state.aksk.sk, ...over });

function popClient(k = key()) {
  return new RPCClient({ accessKeyId: k.ak, accessKeySecret: k.sk, endpoint: server.base, apiVersion: VERSION });
}

// pop-core: params may override the common ones (SignatureNonce, Timestamp, Format), as it lets them.
function pop(action, params = {}, { method = 'GET', k } = {}) {
  const opts = { timeout: REQUEST_TIMEOUT_MS };
  if (method !== 'GET') opts.method = method;
  return popClient(k).request(action, params, opts);
}

function teaClient(k = key(), { v1 = false } = {}) {
  const config = { accessKeyId: k.ak, accessKeySecret: k.sk, endpoint: `${LOOPBACK}:${server.port}`, protocol: 'http' };
  if (v1) config.signatureAlgorithm = 'v2'; // the V1 (HMAC-SHA1) path, doRPCRequest
  return new OpenApi.default(new OpenApi.Config(config));
}

// openapi-client's generic call, as the generated AVDS client makes it: RPC, POST, parameters in
// the query (as strings, like OpenApiUtil.query), JSON body. Returns {statusCode, headers, body}.
function tea(action, query = {}, { v1 = false, k, headers, method = 'POST' } = {}) {
  const params = new OpenApi.Params({
    action, version: VERSION, protocol: 'HTTP', pathname: '/', method, authType: 'AK', style: 'RPC',
    reqBodyType: 'formData', bodyType: 'json',
  });
  const strings = Object.fromEntries(Object.entries(query).map(([n, v]) => [n, String(v)]));
  const request = new OpenApi.OpenApiRequest({ query: strings, headers });
  const runtime = new Util.RuntimeOptions({ autoretry: false, readTimeout: REQUEST_TIMEOUT_MS, connectTimeout: REQUEST_TIMEOUT_MS });
  return teaClient(k, { v1 }).callApi(params, request, runtime);
}

// The four ways a caller reaches the endpoint, each a function (action, params, extra) -> body.
// extra: {nonce, timestamp (ms), k, method}.
const acsDate = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const CLIENTS = {
  'pop-core V1 GET': (action, params, x = {}) => pop(action, withCommon(params, x), { k: x.k, method: x.method ?? 'GET' }),
  'pop-core V1 POST': (action, params, x = {}) => pop(action, withCommon(params, x), { k: x.k, method: x.method ?? 'POST' }),
  'openapi-client V3': async (action, params, x = {}) => {
    const headers = {};
    if (x.nonce) headers['x-acs-signature-nonce'] = x.nonce;
    if (x.timestamp) headers['x-acs-date'] = acsDate(x.timestamp);
    return (await tea(action, params, { k: x.k, headers, method: x.method })).body;
  },
  'openapi-client V1': async (action, params, x = {}) => (await tea(action, withCommon(params, x), { v1: true, k: x.k, method: x.method })).body,
};
const POP = new Set(['pop-core V1 GET', 'pop-core V1 POST']);

function withCommon(params, x) {
  const out = { ...params };
  if (x.nonce) out.SignatureNonce = x.nonce;
  if (x.timestamp) out.Timestamp = acsDate(x.timestamp);
  return out;
}

// Asserts that the call raises the error each client raises for an Alibaba error body: pop-core an
// Error named <Code>Error with code and data (it ignores the status), openapi-client a ResponseError
// with code and statusCode (it looks only at the status).
async function assertRaises(client, promise, code, status) {
  let err;
  try {
    const r = await promise;
    assert.fail(`${client}: expected ${status} ${code}, got success: ${JSON.stringify(r)}`);
  } catch (e) {
    err = e;
  }
  if (err instanceof assert.AssertionError) throw err;
  assert.equal(err.code, code, `${client}: ${err.stack}`);
  assert.equal(typeof err.data, 'object', `${client}: no data on ${err.stack}`);
  assert.equal(err.data.Code, code);
  assert.equal(err.data.HostId, HOST_ID);
  assert.match(err.data.RequestId, UUID_RE);
  assert.equal(typeof err.data.Message, 'string');
  assert.ok(err.data.Message.length > 0);
  assert.equal(err.data.Recommend, `https://api.aliyun.com/troubleshoot?q=${code}&product=Avds&requestId=${err.data.RequestId}`);
  if (POP.has(client)) {
    assert.equal(err.name, `${code}Error`);
    assert.ok(err.message.startsWith(`${err.data.Message}, URL: `), err.message);
  } else {
    assert.equal(err.statusCode, status);
    assert.ok(err.message.startsWith(`${code}: code: ${status}, ${err.data.Message} request id: ${err.data.RequestId}`), err.message);
  }
  return err;
}

// An independent V1 signer (api-reference.md §7), for requests no client library makes.
const pe = (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
function signV1(method, params, sk = state.aksk.sk) {
  const all = {
    Format: 'JSON', Version: VERSION, AccessKeyId: state.aksk.ak, SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0', SignatureNonce: crypto.randomUUID(), Timestamp: acsDate(Date.now()), ...params,
  };
  const canon = Object.keys(all).sort().map((k) => `${pe(k)}=${pe(all[k])}`).join('&');
  const sts = `${method}&${pe('/')}&${pe(canon)}`;
  all.Signature = crypto.createHmac('sha1', `${sk}&`).update(sts).digest('base64');
  return all;
}
const form = (o) => Object.entries(o).map(([k, v]) => `${pe(k)}=${pe(v)}`).join('&');

// ---- the tests ---------------------------------------------------------------------------------
describe(`@alicloud/pop-core ${POP_VERSION} and @alicloud/openapi-client ${OPENAPI_VERSION} (node ${process.version}) against portatlas serve`, () => {
  before(async () => {
    assert.ok(BIN, 'set PORTATLAS_BIN to the portatlas binary');
    assert.ok(fs.existsSync(BIN), `no portatlas binary at ${BIN}`);
    state.aksk = createToken(DATA, PROJECT, { aksk: true });
    assert.ok(state.aksk.ak && state.aksk.sk, 'token create --aksk printed no ak/sk');
    state.other = createToken(DATA, 'another-project', { aksk: true });
    state.token = createToken(DATA, PROJECT).token;
    const otherToken = createToken(DATA, 'another-project').token;
    await server.start();

    // A real scan with service detection of a loopback listener that greets like Debian's
    // OpenSSH (open) and a port nobody listens on (closed). The scanner closes with a reset
    // (SO_LINGER 0): the sockets' ECONNRESET is expected.
    state.listener = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.end('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n');
    });
    await new Promise((resolve) => state.listener.listen(0, LOOPBACK, resolve));
    state.openPort = state.listener.address().port;
    const closedPort = await freePort();
    await scan([state.openPort, closedPort], SCAN_TASK);

    // A task with detected services, through the native API.
    const rich = await native('POST', '/v1/scan-tasks', { name: 'sdk rich task', kind: 'import-nmap', targets: '198.18.0.1,198.18.0.2', probes_total: 4 });
    state.richTaskId = rich.task_id;
    await native('POST', `/v1/scan-tasks/${rich.task_id}/records`, { records: [
      { ip: '198.18.0.1', protocol: 'tcp', port: 22, state: 'open', service: 'ssh', product: 'OpenSSH', version: '9.2p1', cpe: 'cpe:/a:openbsd:openssh:9.2p1', updated_at: 1790000000000 },
      { ip: '198.18.0.2', protocol: 'tcp', port: 443, state: 'open', service: 'https', product: 'nginx', banner_hash: 'ab'.repeat(32), updated_at: 1790000001000 },
      { ip: '198.18.0.2', protocol: 'tcp', port: 80, state: 'closed', updated_at: 1790000001000 },
    ] });
    await native('POST', `/v1/scan-tasks/${rich.task_id}/progress`, { probes_done: 4, status: 'done' });

    // Another project's task, which this project's key must not see.
    const foreign = await server.request({ method: 'POST', target: '/v1/scan-tasks', headers: { 'X-Auth-Token': otherToken, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'theirs', kind: 'connect' }) });
    assert.equal(foreign.status, 201, foreign.body);
    state.foreignTaskId = foreign.json.task_id;
  });

  after(async () => {
    if (state.listener) state.listener.close();
    await server.stop();
    removeTempRoot(ROOT);
  });

  describe('DescribeScanSessions', () => {
    for (const [client, call] of Object.entries(CLIENTS)) {
      it(`${client}: lists the scan task that portatlas scan made`, async () => {
        const body = await call('DescribeScanSessions', { Search: SCAN_TASK, PageSize: 20 });
        assert.equal(body.Code, undefined);
        assert.match(body.RequestId, UUID_RE);
        assert.equal(body.TotalCount, 1, JSON.stringify(body));
        assert.equal(body.PageSize, 20);
        assert.equal(body.CurrentPage, 1);
        assert.equal(body.PageCount, 1);
        assert.equal(body.Count, 1);
        const t = body.List[0];
        assert.equal(typeof t.TaskId, 'number');
        assert.equal(t.ScanId, String(t.TaskId));
        assert.equal(t.Name, SCAN_TASK);
        assert.equal(t.JobStatus, 'finished');
        assert.deepEqual(t.Targets, [LOOPBACK]);
        assert.equal(t.TriggerType, 'date');
        assert.equal(t.ReportStatus, 'inexistent');
        assert.equal(t.RunPercent, 100);
        assert.equal(typeof t.CreatedAt, 'number');
        assert.ok(t.FinishedAt >= t.CreatedAt);
        state.scanTaskId = t.TaskId;
      });
    }

    it('pages newest first and filters by StatusList', async () => {
      const all = await pop('DescribeScanSessions', { PageSize: 1 });
      assert.equal(all.TotalCount, 2);
      assert.equal(all.PageCount, 2);
      assert.equal(all.List[0].TaskId, state.richTaskId);
      const finished = await pop('DescribeScanSessions', { StatusList: ['finished'] }); // StatusList.1
      assert.equal(finished.TotalCount, 2);
      const running = await pop('DescribeScanSessions', { StatusList: ['running', 'waiting'] });
      assert.equal(running.TotalCount, 0);
    });
  });

  describe('DescribePorts', () => {
    for (const [client, call] of Object.entries(CLIENTS)) {
      it(`${client}: the open port of the loopback scan, Port as a string`, async () => {
        assert.ok(state.scanTaskId, 'DescribeScanSessions found no task');
        const body = await call('DescribePorts', { TaskId: state.scanTaskId, CurrentPage: 1, PageSize: 10 });
        assert.equal(body.Code, undefined);
        assert.match(body.RequestId, UUID_RE);
        assert.equal(body.Total, 1, JSON.stringify(body));
        assert.equal(body.Records.length, 1);
        const r = body.Records[0];
        assert.deepEqual(Object.keys(r).sort(), ['Fingerprint', 'IP', 'Index', 'Port', 'Product', 'Protocol', 'Service', 'UpdatedAt', 'Version']);
        assert.equal(r.Index, 1);
        assert.equal(r.IP, LOOPBACK);
        assert.equal(r.Protocol, 'tcp');
        assert.equal(typeof r.Port, 'string');
        assert.equal(r.Port, String(state.openPort));
        assert.equal(typeof r.UpdatedAt, 'number');
        assert.ok(r.UpdatedAt > 1700000000000);
        // What -sV found: the service, product, version and the CPE as the fingerprint.
        assert.equal(r.Service, 'ssh');
        assert.equal(r.Product, 'OpenSSH');
        assert.equal(r.Version, '9.2p1 Debian 2+deb12u3');
        assert.match(r.Fingerprint, /^cpe:\/a:openbsd:openssh:9\.2p1( |$)/);
      });
    }

    it('service fields, fingerprints and the Asset filter', async () => {
      const body = await pop('DescribePorts', { TaskId: state.richTaskId });
      assert.equal(body.Total, 2);
      assert.deepEqual(body.Records.map((r) => [r.Index, r.IP, r.Port, r.Service, r.Product, r.Version, r.Fingerprint]), [
        [1, '198.18.0.1', '22', 'ssh', 'OpenSSH', '9.2p1', 'cpe:/a:openbsd:openssh:9.2p1'],
        [2, '198.18.0.2', '443', 'https', 'nginx', '', 'ab'.repeat(32)],
      ]);
      const one = (await tea('DescribePorts', { TaskId: state.richTaskId, Asset: '198.18.0.2' })).body;
      assert.deepEqual(one.Records.map((r) => r.Port), ['443']);
      const page = await pop('DescribePorts', { TaskId: state.richTaskId, PageSize: 1, CurrentPage: 2 });
      assert.equal(page.Total, 2);
      assert.deepEqual(page.Records.map((r) => r.Index), [2]);
    });
  });

  describe('DescribeHosts, DescribeAttackSurfacesFacets, ListUserPorts', () => {
    it('DescribeHosts: the addresses with open ports', async () => {
      const body = (await tea('DescribeHosts', { TaskId: state.richTaskId })).body;
      assert.equal(body.Total, 2);
      assert.deepEqual(body.Records.map((h) => [h.Index, h.IP, h.IsUp, h.Hostname, h.OS]),
        [[1, '198.18.0.1', 'Up', '', ''], [2, '198.18.0.2', 'Up', '', '']]);
      assert.equal(body.Records[1].UpdatedAt, 1790000001000);
    });

    it('DescribeAttackSurfacesFacets: counts of the task', async () => {
      const body = await pop('DescribeAttackSurfacesFacets', { TaskId: state.richTaskId }, { method: 'POST' });
      assert.equal(body.Ports, 2);
      assert.equal(body.Hosts, 2);
      assert.equal(body.Domains, 0);
      assert.equal(body.WebPaths, 0);
    });

    for (const [client, call] of Object.entries(CLIENTS)) {
      it(`${client}: ListUserPorts over the project, Port as a number`, async () => {
        const body = await call('ListUserPorts', { PageSize: 10 });
        assert.equal(body.TotalCount, 3, JSON.stringify(body));
        assert.equal(body.PageSize, 10);
        assert.equal(body.CurrentPage, 1);
        const ports = body.Records.map((r) => [r.IP, r.Port]);
        assert.deepEqual(ports, [[LOOPBACK, state.openPort], ['198.18.0.1', 22], ['198.18.0.2', 443]]);
        for (const r of body.Records) {
          assert.equal(typeof r.Port, 'number');
          assert.equal(typeof r.Id, 'number');
          assert.equal(r.Protocol, 'tcp');
        }
      });
    }
  });

  describe('errors: each client raises with the Alibaba code', () => {
    for (const [client, call] of Object.entries(CLIENTS)) {
      it(`${client}: wrong secret -> SignatureDoesNotMatch`, async () => {
        const err = await assertRaises(client, call('DescribePorts', { TaskId: state.scanTaskId }, { k: key({ sk: 'not-the-secret' }) }), 'SignatureDoesNotMatch', 400);
        assert.match(err.data.Message, /server string to sign is:/);
      });

      it(`${client}: replayed nonce -> SignatureNonceUsed`, async () => {
        const nonce = crypto.randomBytes(16).toString('hex');
        const first = await call('DescribePorts', { TaskId: state.scanTaskId }, { nonce });
        assert.equal(first.Total, 1);
        await assertRaises(client, call('DescribePorts', { TaskId: state.scanTaskId }, { nonce }), 'SignatureNonceUsed', 400);
      });

      it(`${client}: timestamp 16 minutes off -> InvalidTimeStamp.Expired; 14 minutes is fine`, async () => {
        for (const skew of [-16, 16]) {
          await assertRaises(client, call('DescribePorts', { TaskId: state.scanTaskId }, { timestamp: Date.now() + skew * 60000 }), 'InvalidTimeStamp.Expired', 400);
        }
        const ok = await call('DescribePorts', { TaskId: state.scanTaskId }, { timestamp: Date.now() - 14 * 60000 });
        assert.equal(ok.Total, 1);
      });

      it(`${client}: PageSize 11 -> InvalidParameter; missing TaskId -> MissingTaskId`, async () => {
        const err = await assertRaises(client, call('DescribePorts', { TaskId: state.scanTaskId, PageSize: 11 }), 'InvalidParameter', 400);
        assert.match(err.data.Message, /"PageSize"/);
        const missing = await assertRaises(client, call('DescribePorts', { PageSize: 10 }), 'MissingTaskId', 400);
        assert.equal(missing.data.Message, 'TaskId is mandatory for this action.');
      });

      it(`${client}: unknown AccessKeyId -> InvalidAccessKeyId.NotFound; another project's task -> InvalidTaskId.NotFound`, async () => {
        await assertRaises(client, call('DescribePorts', { TaskId: state.scanTaskId }, { k: key({ ak: 'LTAI5tNoSuchKey00000000' }) }), 'InvalidAccessKeyId.NotFound', 404);
        await assertRaises(client, call('DescribePorts', { TaskId: state.foreignTaskId }), 'InvalidTaskId.NotFound', 404);
        // The other project's own key reads its task.
        const theirs = await call('DescribePorts', { TaskId: state.foreignTaskId }, { k: { ak: state.other.ak, sk: state.other.sk } });
        assert.equal(theirs.Total, 0);
      });

      it(`${client}: unsupported method -> UnsupportedHTTPMethod; unknown action -> InvalidApi.NotFound`, async () => {
        await assertRaises(client, call('DescribePorts', { TaskId: state.scanTaskId }, { method: 'PUT' }), 'UnsupportedHTTPMethod', 400);
        await assertRaises(client, call('DescribeVulnerabilities', {}), 'InvalidApi.NotFound', 404);
      });
    }

    it('bad Format -> InvalidParameter.Format (pop-core and openapi-client V1 send Format)', async () => {
      await assertRaises('pop-core V1 GET', pop('DescribePorts', { TaskId: state.scanTaskId, Format: 'YAML' }), 'InvalidParameter.Format', 400);
      await assertRaises('openapi-client V1', CLIENTS['openapi-client V1']('DescribePorts', { TaskId: state.scanTaskId, Format: 'YAML' }), 'InvalidParameter.Format', 400);
      await assertRaises('openapi-client V3', CLIENTS['openapi-client V3']('DescribePorts', { TaskId: state.scanTaskId, Format: 'YAML' }), 'InvalidParameter.Format', 400);
    });
  });

  describe('raw requests signed by an independent V1 signer', () => {
    it('parameters split between the query and a form body are signed as their union', async () => {
      const p = signV1('POST', { Action: 'DescribePorts', TaskId: String(state.richTaskId), PageSize: '1' });
      const { TaskId, PageSize, ...rest } = p;
      const r = await server.request({
        method: 'POST', target: `/?${form(rest)}`,
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form({ TaskId, PageSize }),
      });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.json.Total, 2);
      assert.equal(r.headers['x-request-id'], r.json.RequestId);
    });

    it('Format=XML answers XML, errors included', async () => {
      const ok = await server.request({ target: `/?${form(signV1('GET', { Action: 'DescribePorts', TaskId: String(state.richTaskId), Format: 'XML' }))}` });
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.headers['content-type'], 'text/xml;charset=utf-8');
      assert.match(ok.body, /^<\?xml version="1.0" encoding="UTF-8"\?><DescribePortsResponse><RequestId>[0-9A-F-]{36}<\/RequestId><Total>2<\/Total><Records><Port>22<\/Port>/);
      const bad = await server.request({ target: `/?${form(signV1('GET', { Action: 'DescribePorts', TaskId: String(state.richTaskId), Format: 'XML', PageSize: '11' }))}` });
      assert.equal(bad.status, 400);
      assert.match(bad.body, /<Error><RequestId>[0-9A-F-]{36}<\/RequestId><HostId>avds.aliyuncs.com<\/HostId><Code>InvalidParameter<\/Code>/);
    });
  });
});
