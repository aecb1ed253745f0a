"""carm serve under a slowloris attack: hundreds of sockets that send
nothing, trickle a request line one byte at a time, or trickle a POST body.
While they are open a normal GET /api/health must be answered within 2 s,
from the attacker's own address (loopback clients share one) and from
another; every attack socket must be closed by the server within the request
deadline (total, not per read) plus a little; legitimate parallel keep-alive
clients, as many as a browser opens, must all be served.

Before the connection guard, about 65 such sockets blocked the server for its
30 s idle timeout (its per-address limit equalled its total limit, and a
trickle resets an idle timeout)."""
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.environ['CARM_SOURCE'], 'tests', 'server'))
from case_fixture import Server  # noqa: E402

DEADLINE_S = 3      # --request-timeout given to the server
SLACK_S = 1.5       # watchdog period, thread scheduling on a loaded machine
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pycheck import check, done  # noqa: E402


case = tempfile.mkdtemp(prefix='carm_qa_slow_')
with open(os.path.join(case, 'tree.json'), 'w') as f:
    f.write('{"segments": []}')
srv = Server(case, '--request-timeout', str(DEADLINE_S))
port = srv.port


def health(source='127.0.0.1', timeout=2.0):
    """GET /api/health; (status or 0, seconds)."""
    t0 = time.time()
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.bind((source, 0))
        s.connect(('127.0.0.1', port))
        s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        out = b''
        while b'\r\n' not in out:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
        s.close()
        parts = out.split(b'\r\n', 1)[0].split()
        code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        return code, time.time() - t0
    except OSError:
        return 0, time.time() - t0


class Attack:
    """n sockets from `source`: kinds cycle idle / trickled request line /
    trickled POST body. Records when the server closed each."""

    def __init__(self, source, n):
        self.socks = []
        for i in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((source, 0))
            s.settimeout(2.0)
            kind = i % 3
            try:
                s.connect(('127.0.0.1', port))
                s.setblocking(False)
                if kind == 2:  # complete headers, then a body that never ends
                    s.send(b'POST /api/points HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n')
            except OSError:
                pass  # refused at once counts as closed below
            self.socks.append({'s': s, 'kind': kind, 'opened': time.time(), 'closed': None})
        self.stop = False
        self.thread = threading.Thread(target=self.trickle, daemon=True)
        self.thread.start()

    def poll(self):
        """Mark sockets the server closed (end of file or reset)."""
        now = time.time()
        p = select.poll()
        by_fd = {}
        for e in self.socks:
            if e['closed'] is None:
                by_fd[e['s'].fileno()] = e
                p.register(e['s'], select.POLLIN | select.POLLERR | select.POLLHUP)
        for fd, _ in p.poll(0):
            e = by_fd[fd]
            try:
                while True:
                    if e['s'].recv(4096) == b'':
                        e['closed'] = now
                        break
            except BlockingIOError:
                pass
            except OSError:
                e['closed'] = now

    def trickle(self):
        while not self.stop:
            for e in self.socks:
                if e['kind'] != 0 and e['closed'] is None:
                    try:
                        e['s'].send(b'G' if e['kind'] == 1 else b'x')
                    except OSError:
                        pass
            time.sleep(0.5)

    def open_count(self):
        return sum(e['closed'] is None for e in self.socks)

    def wait_all_closed(self, limit_s):
        end = max(e['opened'] for e in self.socks) + limit_s
        while time.time() < end and self.open_count() > 0:
            self.poll()
            time.sleep(0.05)
        self.poll()

    def late(self, limit_s):
        """Sockets not closed within limit_s of being opened."""
        return [e for e in self.socks
                if e['closed'] is None or e['closed'] - e['opened'] > limit_s]

    def close(self):
        self.stop = True
        self.thread.join()
        for e in self.socks:
            e['s'].close()


def other_address_works():
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(('127.0.0.2', 0))
        s.close()
        return True
    except OSError:
        return False


try:
    check(health()[0] == 200, 'health before the attack')

    # legitimate parallel use: 16 keep-alive clients, 5 requests each
    results = []

    def client():
        try:
            s = socket.create_connection(('127.0.0.1', port), timeout=5)
            for _ in range(5):
                s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
                out = b''
                while b'\r\n\r\n' not in out or not out.rstrip().endswith(b'}'):
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    out += chunk
                results.append(out.startswith(b'HTTP/1.1 200'))
            s.close()
        except OSError:
            results.append(False)
    threads = [threading.Thread(target=client) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(len(results) == 80 and all(results),
          '16 parallel keep-alive clients x 5 requests: %d of 80 ok' % sum(results))

    # the deadline restarts with each request: a keep-alive client asking
    # every second for longer than the deadline is never cut off
    s = socket.create_connection(('127.0.0.1', port), timeout=5)
    t_end = time.time() + DEADLINE_S + 2
    answered = 0
    try:
        while time.time() < t_end:
            s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
            out = b''
            while not out.rstrip().endswith(b'}'):
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
            if not out.startswith(b'HTTP/1.1 200'):
                break
            answered += 1
            time.sleep(1.0)
    except OSError:
        pass
    s.close()
    check(answered >= DEADLINE_S + 2,
          'keep-alive client, one request a second for %d s: %d answered' % (DEADLINE_S + 2,
                                                                           answered))

    # ... and once it falls silent after a request, it is closed by the
    # deadline like any idle socket
    s = socket.create_connection(('127.0.0.1', port), timeout=DEADLINE_S + SLACK_S + 2)
    s.sendall(b'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n')
    out = b''
    while not out.rstrip().endswith(b'}'):
        out += s.recv(4096)
    t0 = time.time()
    try:
        closed = s.recv(4096) == b''
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    dt = time.time() - t0
    s.close()
    check(closed and dt < DEADLINE_S + SLACK_S,
          'idle keep-alive connection closed by the deadline: %s after %.1f s' % (closed, dt))

    # 1. 200 attack sockets from the very address the legitimate client uses
    attack = Attack('127.0.0.1', 200)
    for k in range(3):
        time.sleep(0.7)
        attack.poll()
        code, dt = health()
        print('health during the same-address attack: %d in %.3f s, %d attack sockets open'
              % (code, dt, attack.open_count()))
        check(code == 200 and dt < 2.0,
              'health from the attacking address during the attack (%d): %d in %.2f s'
              % (k, code, dt))
        if other_address_works():
            code, dt = health('127.0.0.2')
            check(code == 200 and dt < 2.0,
                  'health from another address during the attack (%d): %d in %.2f s'
                  % (k, code, dt))
    attack.wait_all_closed(DEADLINE_S + SLACK_S)
    print('same-address attack: last socket closed %.2f s after it was opened' %
          max((e['closed'] or time.time()) - e['opened'] for e in attack.socks))
    late = attack.late(DEADLINE_S + SLACK_S)
    check(not late, 'same-address attack: %d of 200 sockets still open or closed late '
          '(kinds %s)' % (len(late), sorted({e['kind'] for e in late})))
    attack.close()
    check(health()[0] == 200, 'health after the same-address attack')

    # 2. 300 sockets from 10 addresses (over the total cap of 256)
    if other_address_works():
        attacks = [Attack('127.0.0.%d' % (10 + a), 30) for a in range(10)]
        time.sleep(0.7)
        for a in attacks:
            a.poll()
        code, dt = health()
        print('health during the 10-address attack: %d in %.3f s, %d attack sockets open'
              % (code, dt, sum(a.open_count() for a in attacks)))
        check(code == 200 and dt < 2.0,
              'health during a 300-socket attack from 10 addresses: %d in %.2f s' % (code, dt))
        for a in attacks:
            a.wait_all_closed(DEADLINE_S + SLACK_S)
        late = sum(len(a.late(DEADLINE_S + SLACK_S)) for a in attacks)
        check(late == 0, 'many-address attack: %d of 300 sockets still open or closed late'
              % late)
        for a in attacks:
            a.close()
    else:
        print('127.0.0.2 not bindable here: the many-address case is skipped')
    check(health()[0] == 200, 'health after the attacks')
    check(srv.proc.poll() is None, 'server still running')
finally:
    srv.proc.send_signal(signal.SIGTERM)
    try:
        srv.proc.wait(timeout=15)
        check(True, 'stopped')
    except subprocess.TimeoutExpired:
        check(False, 'server stops within 15 s of SIGTERM')
        srv.proc.kill()
        srv.proc.wait()

# bad limits: a usage error, not a server
for opt, val in [('--request-timeout', '0'), ('--request-timeout', '1e9'),
                 ('--max-connections', '-1'), ('--max-per-address', 'x'),
                 ('--max-connections', '99999')]:
    p = subprocess.run([os.environ['CARM'], 'serve', case, '--port', '0', opt, val],
                       capture_output=True, timeout=10)
    check(p.returncode == 2 and opt.encode() in p.stderr,
          'serve %s %s: exit 2 naming the option (got %d)' % (opt, val, p.returncode))
p = subprocess.run([os.environ['CARM'], 'serve', case, '--port', '0', '--max-connections', '8',
                    '--max-per-address', '9'], capture_output=True, timeout=10)
check(p.returncode == 1 and b'per address' in p.stderr,
      'per-address cap above the total: exit 1 (got %d %r)' % (p.returncode, p.stderr[-200:]))

done()
