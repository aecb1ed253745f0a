"""carm serve under hostile clients: every request below must get an HTTP
answer (or a closed connection) within seconds, never a hang or a crash; the
server must answer /api/health after each and stop promptly on SIGTERM.
Covers a FIFO in the case folder (opening it used to block the connection
thread forever and then SIGTERM), huge headers and URLs, bad methods,
malformed request lines, lying Content-Length, chunked bodies over the limit,
deeply nested JSON on every POST route, and percent-encoded traversal."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ['CARM_SOURCE'], 'tests', 'server'))
from case_fixture import Server  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pycheck import check, done  # noqa: E402


case = tempfile.mkdtemp(prefix='carm_qa_case_')
with open(os.path.join(case, 'tree.json'), 'w') as f:
    f.write('{"segments": []}')
os.mkfifo(os.path.join(case, 'fifo.json'))
os.mkfifo(os.path.join(case, 'pipe.mha'))
srv = Server(case)
port = srv.port


def raw(data, timeout=5.0):
    """Send bytes; return (first response line, seconds) or ('TIMEOUT', s)."""
    t0 = time.time()
    s = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    out = b''
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
            if b'\r\n\r\n' in out and b'Connection: close' not in data:
                break
    except socket.timeout:
        return 'TIMEOUT', time.time() - t0
    except (ConnectionResetError, BrokenPipeError):
        pass
    finally:
        s.close()
    return out.split(b'\r\n', 1)[0].decode(errors='replace'), time.time() - t0


def status(line):
    parts = line.split()
    return int(parts[1]) if len(parts) > 1 and line.startswith('HTTP/') and parts[1].isdigit() else 0


def alive():
    line, _ = raw(b'GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    return status(line) == 200 and srv.proc.poll() is None


def req(method, path, body=b'', headers=b''):
    return (method + b' ' + path + b' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n' + headers +
            b'Content-Length: %d\r\n\r\n' % len(body) + body)


def expect_4xx(name, data, allow_close=False):
    line, dt = raw(data)
    code = status(line)
    ok = 400 <= code < 500 or (allow_close and code == 0 and line != 'TIMEOUT')
    check(ok, '%s: want 4xx, got %r after %.1f s' % (name, line, dt))
    check(alive(), '%s: server alive afterwards' % name)


try:
    # FIFOs and other non-regular files are never opened for reading
    for name in [b'fifo.json', b'pipe.mha']:
        expect_4xx('FIFO ' + name.decode(), req(b'GET', b'/api/files/' + name))
    line, _ = raw(req(b'GET', b'/api/case'))
    check(status(line) == 200, 'case listing with FIFOs present: %s' % line)
    # sizes
    expect_4xx('1 MB header', b'GET /api/health HTTP/1.1\r\nHost: x\r\nX: ' + b'a' * 1000000 +
               b'\r\n\r\n', allow_close=True)
    expect_4xx('20000 headers', b'GET /api/health HTTP/1.1\r\n' + b'X-A: b\r\n' * 20000 + b'\r\n',
               allow_close=True)
    expect_4xx('100 kB URL', b'GET /' + b'a' * 100000 + b' HTTP/1.1\r\nHost: x\r\n\r\n',
               allow_close=True)
    expect_4xx('Content-Length overflow',
               b'POST /api/points HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999'
               b'\r\n\r\n{}', allow_close=True)
    expect_4xx('Content-Length negative',
               b'POST /api/points HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n{}',
               allow_close=True)
    chunks = b''.join(b'1000\r\n' + b'a' * 4096 + b'\r\n' for _ in range(40)) + b'0\r\n\r\n'
    expect_4xx('chunked body over the limit',
               b'POST /api/points HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n'
               b'Connection: close\r\n\r\n' + chunks)
    # methods and request lines
    for m in [b'FOO', b'PUT', b'DELETE', b'PATCH', b'TRACE']:
        expect_4xx('method ' + m.decode(), req(m, b'/api/case'))
        expect_4xx('method %s static' % m.decode(), req(m, b'/index.html'))
    expect_4xx('OPTIONS *', req(b'OPTIONS', b'*'), allow_close=True)
    expect_4xx('CONNECT', b'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n', allow_close=True)
    # JSON bombs on every POST route
    deep_arr = b'[' * 30000 + b']' * 30000
    deep_obj = b'{"a":' * 10000 + b'1' + b'}' * 10000
    for route in [b'/api/points', b'/api/jobs', b'/api/board/cases', b'/api/board/HCC-0001/decisions']:
        for name, body in [('deep array', deep_arr), ('deep object', deep_obj),
                           ('1e999', b'{"x":1e999}'), ('NaN', b'{"x":NaN}'),
                           ('NUL key', b'{"\\u0000":1}'), ('not UTF-8', b'\xff\xfe{}'),
                           ('huge numbers', b'{"position_mm":[1e308,-1e308,1e308]}')]:
            expect_4xx('%s %s' % (route.decode(), name), req(b'POST', route, body))
    # traversal and odd paths
    for path in [b'/api/files/%2e%2e/%2e%2e/etc/passwd', b'/api/files/..%2f..%2fetc%2fpasswd',
                 b'/api/files/a%00b', b'/api/files/%ff', b'/api/files/.', b'/api/files/fifo.json/',
                 b'/%2e%2e/%2e%2e/etc/passwd', b'/..%5c..%5cetc%5cpasswd',
                 b'/api/jobs/99999999999999999999', b'/api/jobs/-1', b'/api/jobs/0x10',
                 b'/api/board/' + b'A' * 5000, b'/api/board/%2e%2e/sheet',
                 b'/api/board/X/sheet?meeting=99999999999999999999']:
        expect_4xx('GET ' + path[:60].decode(errors='replace'), req(b'GET', path))
finally:
    srv.proc.send_signal(signal.SIGTERM)
    try:
        srv.proc.wait(timeout=15)
        check(True, 'stopped')
    except subprocess.TimeoutExpired:
        check(False, 'server stops within 15 s of SIGTERM')
        srv.proc.kill()
        srv.proc.wait()

# a port file that cannot be written: exit 1 with a message, not a server
# that runs while the script waiting for the file hangs
for pf in [os.path.join(case, 'missing', 'port'), case]:
    try:
        p = subprocess.run([os.environ['CARM'], 'serve', case, '--port', '0', '--port-file', pf],
                           capture_output=True, timeout=10)
        check(p.returncode == 1 and b'port file' in p.stderr,
              'unwritable --port-file %s: exit 1 (got %d)' % (pf, p.returncode))
    except subprocess.TimeoutExpired:
        check(False, 'unwritable --port-file %s: server kept running' % pf)

done()
