"""carm serve: every route over a real HTTP connection on loopback, including
bad requests (unknown route, traversal, oversize body, bad JSON, bad jobs),
which must get 4xx answers while the server keeps serving; the token rule."""
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from case_fixture import Server, make_case  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pycheck import check, done  # noqa: E402


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def raw(port, text):
    """Send raw bytes (paths the http.client would normalise)."""
    s = socket.create_connection(('127.0.0.1', port), timeout=20)
    s.sendall(text.encode())
    data = b''
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    line = data.split(b'\r\n', 1)[0].decode()
    return int(line.split()[1]) if line.startswith('HTTP/') else 0


case = make_case()
srv = Server(case)
p = srv.port
try:
    st, body = request(p, 'GET', '/api/health')
    check(st == 200 and json.loads(body)['ok'] is True, 'health')
    st, body = request(p, 'GET', '/api/case')
    c = json.loads(body)
    check(st == 200, 'case listing status')
    check([v['path'] for v in c['volumes']] == ['arterial.mha', 'arterial_view.nii.gz'], 'volumes listed: %s' % c['volumes'])
    check([t['path'] for t in c['trees']] == ['tree.json'], 'trees listed')
    check([x['path'] for x in c['pictures']] == ['pictures/mip.png'], 'pictures listed')
    check(all(x['path'] != 'escape.json' for x in c['data']), 'symlink not listed')
    st, body = request(p, 'GET', '/api/files/arterial.mha')
    check(st == 200 and body == open(os.path.join(case, 'arterial.mha'), 'rb').read(), 'file fetched')
    st, _ = request(p, 'GET', '/api/files/pictures/mip.png')
    check(st == 200, 'file in a subfolder')
    # traversal attempts, raw so that no client normalises them
    for path in ['/api/files/../../../../etc/passwd', '/api/files/%2e%2e/%2e%2e/etc/passwd',
                 '/api/files//etc/passwd', '/api/files/escape.json', '/api/files/pictures/../../x',
                 '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd']:
        code = raw(p, 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' % path)
        check(400 <= code < 500, 'traversal %s refused (got %d)' % (path, code))
    st, _ = request(p, 'GET', '/api/nope')
    check(st == 404, 'unknown route 404')
    st, _ = request(p, 'DELETE', '/api/case')
    check(st == 405, 'DELETE 405')
    st, _ = request(p, 'POST', '/api/points', body='{not json', headers={'Content-Type': 'application/json'})
    check(st == 400, 'bad JSON 400')
    st, _ = request(p, 'POST', '/api/points', body=json.dumps({'kind': 'target', 'xyz_mm': [1, 2]}))
    check(st == 400, 'short coordinates 400')
    st, _ = request(p, 'POST', '/api/points', body='{"kind": "target", "xyz_mm": [1, 2, 1e400]}')
    check(st == 400, 'non-finite coordinate 400')
    st, _ = request(p, 'POST', '/api/points', body=json.dumps({'kind': 'bomb', 'xyz_mm': [1, 2, 3]}))
    check(st == 400, 'unknown kind 400')
    st, _ = request(p, 'POST', '/api/points', body='x' * 200000)
    check(st == 413, 'oversize body 413 (got %d)' % st)
    st, body = request(p, 'POST', '/api/points',
                       body=json.dumps({'kind': 'catheter_tip', 'label': 'tip', 'xyz_mm': [10.5, -3, 42]}))
    check(st == 201 and json.loads(body)['id'] == 1, 'point stored')
    st, body = request(p, 'GET', '/api/points')
    pts = json.loads(body)['points']
    check(len(pts) == 1 and pts[0]['xyz_mm'] == [10.5, -3, 42] and pts[0]['kind'] == 'catheter_tip',
          'point returned')
    check(json.load(open(os.path.join(case, 'points.json')))['points'][0]['label'] == 'tip',
          'point persisted in the case folder')
    # jobs
    for bad in [{'command': 'rm', 'args': ['-rf', 'x']}, {'command': 'info', 'args': ['/etc/passwd']},
                {'command': 'info', 'args': ['../x']}, {'command': 'info', 'args': 'x'},
                {'command': 'info', 'args': [1]}]:
        st, _ = request(p, 'POST', '/api/jobs', body=json.dumps(bad))
        check(st == 400, 'bad job refused: %s' % bad)
    st, _ = request(p, 'GET', '/api/jobs/abc')
    check(st == 400, 'bad job id 400')
    st, _ = request(p, 'GET', '/api/jobs/99')
    check(st == 404, 'missing job 404')
    st, body = request(p, 'POST', '/api/jobs', body=json.dumps({'command': 'info', 'args': ['arterial.mha']}))
    check(st == 202, 'job accepted (%d %s)' % (st, body))
    job = json.loads(body)
    for _ in range(200):
        st, body = request(p, 'GET', '/api/jobs/%d' % job['id'])
        job = json.loads(body)
        if job['status'] != 'running':
            break
        time.sleep(0.05)
    has_info = 'info' in subprocess.run([os.environ['CARM'], 'help'], capture_output=True, text=True).stdout
    if has_info:
        check(job['status'] == 'done' and '48' in job['log'],
              'info job ran: %s' % job)
    else:
        check(job['status'] == 'failed' and job['exit_code'] == 2, 'job ran and failed cleanly: %s' % job)
    st, body = request(p, 'GET', '/api/jobs')
    check(st == 200 and len(json.loads(body)['jobs']) == 1, 'jobs listed')
    # a burst of parallel requests is served
    codes = []

    def hit():
        codes.append(request(p, 'GET', '/api/health')[0])
    threads = [threading.Thread(target=hit) for _ in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(codes.count(200) == 40, 'burst served: %s' % codes.count(200))
    # a half-sent request does not block others
    s = socket.create_connection(('127.0.0.1', p))
    s.sendall(b'POST /api/points HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{')
    st, _ = request(p, 'GET', '/api/health')
    check(st == 200, 'still serving while a client stalls')
    s.close()
    # static viewer files: served when built, and traversal refused
    st, _ = request(p, 'POST', '/index.html', body='x')
    check(st == 405, 'POST to static 405')
finally:
    check(srv.stop() == 0, 'server stops cleanly on SIGTERM')

# token: required for any non-loopback bind, enforced when given
r = subprocess.run([os.environ['CARM'], 'serve', case, '--bind', '0.0.0.0', '--port', '0'],
                   capture_output=True, text=True, timeout=20)
check(r.returncode != 0 and 'token' in r.stderr, 'non-loopback bind without token refused')
tok = 'a-long-secret-token-123'
srv = Server(case, '--token', tok)
try:
    st, _ = request(srv.port, 'GET', '/api/case')
    check(st == 401, 'no token 401')
    st, _ = request(srv.port, 'GET', '/api/case', headers={'Authorization': 'Bearer wrong-token-xxxxxxx'})
    check(st == 401, 'wrong token 401')
    st, _ = request(srv.port, 'GET', '/api/case', headers={'Authorization': 'Bearer ' + tok})
    check(st == 200, 'bearer token 200')
    st, _ = request(srv.port, 'GET', '/api/case?token=' + tok)
    check(st == 200, 'query token 200')
finally:
    srv.stop()

done()
