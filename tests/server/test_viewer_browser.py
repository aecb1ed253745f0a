"""The viewer in a real browser: headless Chromium + playwright-core load the
page from a running `carm serve`; the 3D canvas is not blank and a click
stores a point that the API returns; the feeders, the needle and the
ablation zone that `carm plan` wrote into the case are drawn where the plan
JSON puts them (web/test/viewer.mjs)."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from case_fixture import Server, make_case, run_plans, write_plan_inputs  # noqa: E402

src = os.environ['CARM_SOURCE']
web = os.path.join(src, 'web')
if not os.path.exists(os.path.join(web, 'dist', 'niivue.umd.js')):
    print('web/dist not built (scripts/build-web)'); sys.exit(1)
if not shutil.which('node') or not os.path.exists('/usr/bin/chromium'):
    print('node or chromium missing (scripts/install-deps)'); sys.exit(1)
case = make_case()
run_plans(case, write_plan_inputs(case))
srv = Server(case, '--web', os.path.join(web, 'dist'))
try:
    shot = os.path.join(os.environ.get('CARM_BUILD', '.'), 'viewer-test.png')
    r = subprocess.run(['node', os.path.join(web, 'test', 'viewer.mjs'), str(srv.port), shot],
                       timeout=240)
    code = r.returncode
finally:
    srv.stop()
sys.exit(code)
