"""Plans through the server: `carm plan` run as jobs on a small case
(feeders, ablation, working views, Y-90), then listed by GET /api/case under
`plans` with their kind (from the files' "format") and served by
/api/files; plan jobs with an unknown subcommand or a path leading out of
the case folder (through a symlinked file or folder) are refused and run
nothing."""
import http.client
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from case_fixture import Server, make_case, write_plan_inputs  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from pycheck import check, done  # noqa: E402


def request(port, method, path, body=None):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=20)
    c.request(method, path, body=body)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def run_job(port, args):
    st, body = request(port, 'POST', '/api/jobs', json.dumps({'command': 'plan', 'args': args}))
    if st != 202:
        return st, None
    job = json.loads(body)
    for _ in range(600):
        st, body = request(port, 'GET', '/api/jobs/%d' % job['id'])
        job = json.loads(body)
        if job['status'] != 'running':
            break
        time.sleep(0.05)
    return 202, job


case = make_case()
tip = write_plan_inputs(case)
os.symlink('/tmp', os.path.join(case, 'tmp_link'))
os.environ.setdefault('CARM_DEVICE_TABLE', os.path.join(os.environ['CARM_SOURCE'], 'data',
                                                        'ablation_devices.json'))
srv = Server(case)
p = srv.port
try:
    st, body = request(p, 'GET', '/api/case')
    check(st == 200 and json.loads(body)['plans'] == [], 'no plans listed before any is made')
    # refused before anything runs
    for args in [[], ['rm'], ['--tree', 'artery_tree.json'],
                 ['feeders', '--tree', 'escape.json', '--tumours', 'plan_labels.nii.gz',
                  '--tip', '0,0,0', '-o', 'f.json'],
                 ['y90', '--device', 'glass', '--lsf', '0.1', '--liver-ml', '1600',
                  '-o', 'tmp_link/carm_escape_y90.json'],
                 ['y90', '--device', 'glass', '--lsf', '0.1', '--liver-ml', '1600',
                  '-o', 'tmp_link/no/such/y90.json']]:
        st, job = run_job(p, args)
        check(st == 400, 'plan job refused: %s (%d)' % (args, st))
    check(not os.path.exists('/tmp/carm_escape_y90.json'), 'nothing written through the symlink')
    st, body = request(p, 'GET', '/api/jobs')
    check(json.loads(body)['jobs'] == [], 'no refused job was started')

    tip_s = ','.join('%g' % v for v in tip)
    jobs = {
        'feeders': ['feeders', '--tree', 'artery_tree.json', '--tumours', 'plan_labels.nii.gz',
                    '--tip', tip_s, '-o', 'plans/feeders.json'],
        'ablation': ['ablation', '--labels', 'plan_labels.nii.gz', '--target', '10', '--auto',
                     '--zone', '30,20', '--clearance-mm', '3', '-o', 'plans/ablation.json'],
        'views': ['views', '--tree', 'artery_tree.json', '--segment', '1', '--step', '15',
                  '-o', 'plans/views.json'],
        'y90': ['y90', '--device', 'glass', '--lsf', '0.1', '--liver-ml', '1600',
                '--perfused-ml', '800', '--tumour-ml', '100', '--tnr', '3', '-o', 'plans/y90.json'],
    }
    os.makedirs(os.path.join(case, 'plans'))
    for kind, args in jobs.items():
        st, job = run_job(p, args)
        check(st == 202 and job['status'] == 'done', 'plan %s job done: %s' % (kind, job))
    # a plan written by hand with another format, and one that is not a plan
    with open(os.path.join(case, 'plans', 'couinaud.json'), 'w') as f:
        json.dump({'format': 'carm-couinaud', 'version': 1, 'method': 'planes', 'items': []}, f)
    with open(os.path.join(case, 'plans', 'notes.json'), 'w') as f:
        json.dump({'format': 'carm-feederss', 'text': '"format": "carm-feeders"'}, f)

    st, body = request(p, 'GET', '/api/case')
    c = json.loads(body)
    listed = {x['path']: x['plan'] for x in c['plans']}
    want = {'plans/%s.json' % k: k for k in ['feeders', 'ablation', 'views', 'y90', 'couinaud']}
    check(listed == want, 'plans listed with their kinds: %s' % listed)
    for x in c['plans']:
        st, data = request(p, 'GET', x['url'])
        check(st == 200 and data == open(os.path.join(case, x['path']), 'rb').read()
              and x['bytes'] == len(data), '%s served' % x['path'])
    f = json.load(open(os.path.join(case, 'plans', 'feeders.json')))
    segs = [fd['segment'] for t in f['tumours'] for fd in t['feeders']]
    check(segs == [1], 'the branch ending in the tumour is its feeder: %s' % segs)
    a = json.load(open(os.path.join(case, 'plans', 'ablation.json')))
    check(a['trajectories'] and a['trajectories'][0]['valid'], 'a valid needle path')
    y = json.load(open(os.path.join(case, 'plans', 'y90.json')))
    check(abs(y['activity_gbq'] - 1.728072) < 1e-5, 'Y-90 activity as carm plan y90 prints it')
    v = json.load(open(os.path.join(case, 'plans', 'views.json')))
    check(v['segment'] == 1 and len(v['best']) >= 1, 'working views of segment 1')
    # a plan job that fails (unknown tumour label) is reported as failed
    st, job = run_job(p, ['ablation', '--labels', 'plan_labels.nii.gz', '--target', '42',
                          '--auto', '--zone', '30,20', '-o', 'plans/bad.json'])
    check(st == 202 and job['status'] == 'failed' and job['exit_code'] != 0
          and not os.path.exists(os.path.join(case, 'plans', 'bad.json')),
          'a failing plan job fails and writes nothing: %s' % job)
finally:
    check(srv.stop() == 0, 'server stops cleanly')

done()
