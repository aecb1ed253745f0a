"""The tumour-board page in a real browser: headless Chromium + playwright-core
load /board.html from `carm serve --board DB`, check the case list against the
API, record a decision through the form and read it back from the store via
the API (web/test/board.mjs)."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from board_fixture import make_store  # noqa: E402
from case_fixture import Server  # noqa: E402

src = os.environ['CARM_SOURCE']
web = os.path.join(src, 'web')
if not os.path.exists(os.path.join(web, 'dist', 'board.js')):
    print('web/dist not built (scripts/build-web)'); sys.exit(1)
if not os.path.isdir(os.path.join(web, 'node_modules', 'playwright-core')):
    print('web/node_modules missing (scripts/build-web)'); sys.exit(1)
if not shutil.which('node') or not os.path.exists('/usr/bin/chromium'):
    print('node or chromium missing (scripts/install-deps)'); sys.exit(1)
case = tempfile.mkdtemp(prefix='carm_board_page_')
db = os.path.join(case, 'board.db')
fx = make_store(db)
srv = Server(case, '--web', os.path.join(web, 'dist'))
try:
    shot = os.path.join(os.environ.get('CARM_BUILD', '.'), 'board-test.png')
    r = subprocess.run(['node', os.path.join(web, 'test', 'board.mjs'), str(srv.port), 'HCC-0001',
                        str(fx['quorate']), shot], timeout=180)
    code = r.returncode
finally:
    srv.stop()
sys.exit(code)
