#!/usr/bin/env python3
"""Record which ACL of acl_eval.in matches which request, as HAProxy 2.6 evaluates them.

Each ACL i sets txn.m<i> when it matches; an http-request return answers the list in a header. Output:
acl_eval.golden, one line per request: the request number, then one character per ACL
('1' matched, '0' did not)."""
import os, socket, subprocess, tempfile, time

here = os.path.dirname(os.path.abspath(__file__))
reqs, acls = [], []
for line in open(os.path.join(here, 'acl_eval.in')):
    line = line.rstrip('\n')
    if not line or line.startswith('#'):
        continue
    if line.startswith('req '):
        reqs.append(line[4:].replace('\\r\\n', '\r\n') + '\r\n\r\n')
    else:
        acls.append(line)

s = socket.socket()
s.bind(('127.0.0.1', 0))
port = s.getsockname()[1]
s.close()
lines = ['global', 'defaults', '  mode http', '  timeout client 5s', '  timeout server 5s', '  timeout connect 5s',
         'frontend fe', f'  bind 127.0.0.1:{port}']
for i, a in enumerate(acls):
    lines.append(f'  acl a{i} {a}')
for i in range(len(acls)):
    lines.append(f'  http-request set-var(txn.m{i}) int(1) if a{i}')
fmt = ','.join(f'%[var(txn.m{i})]' for i in range(len(acls)))
lines.append(f'  http-request return status 200 hdr x-bits "{fmt}"')
lines += ['  default_backend be', 'backend be',
          '  server s1 127.0.0.1:1 maxconn 10 maxqueue 5', '  server s2 127.0.0.1:2 disabled maxconn 10 maxqueue 5',
          'backend be2']
with tempfile.TemporaryDirectory() as d:
    cfg = os.path.join(d, 'eval.cfg')
    open(cfg, 'w').write('\n'.join(lines) + '\n')
    check = subprocess.run(['haproxy', '-c', '-f', cfg], capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(check.stdout + check.stderr)
    p = subprocess.Popen(['haproxy', '-db', '-f', cfg], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        for _ in range(100):
            try:
                socket.create_connection(('127.0.0.1', port)).close()
                break
            except OSError:
                time.sleep(0.05)
        out = ['# HAProxy 2.6 evaluation of acl_eval.in (recorded by record_eval.py): request, then one',
               '# character per ACL in order, 1 when it matched.']
        for n, r in enumerate(reqs):
            c = socket.create_connection(('127.0.0.1', port))
            c.sendall(r.encode())
            data = b''
            while b'\r\n\r\n' not in data:
                b = c.recv(65536)
                if not b:
                    break
                data += b
            c.close()
            head = data.split(b'\r\n\r\n', 1)[0].decode()
            body = [h.split(':', 1)[1].strip() for h in head.split('\r\n') if h.lower().startswith('x-bits:')][0]
            # An unset variable prints nothing (or '-').
            bits = ''.join('1' if v == '1' else '0' for v in body.split(','))
            assert len(bits) == len(acls), (n, body)
            out.append(f'{n} {bits}')
    finally:
        p.terminate()
        p.wait()
open(os.path.join(here, 'acl_eval.golden'), 'w').write('\n'.join(out) + '\n')
print(len(reqs), 'requests,', len(acls), 'ACLs')
