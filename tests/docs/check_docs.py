#!/usr/bin/env python3
"""check_docs.py --cxx CXX --src SOURCE_DIR DOC.md... -- builds and runs the docs' programs.

Every ```cpp block of each document is a complete program, compiled against the source tree
(its concepts/ and include/ roots, the default profile) with the flags of a user's build:
  - a block whose first line is `// build error: REGEX` must fail to compile, with one
    error whose text matches REGEX (the documented mistake and its message);
  - any other block must compile without warnings under -Wall -Wextra, and run with exit
    status 0.
A ```console block that follows a program shows what a user sees: its `$ CMD` lines are
commands (BREAKEVEN_DEBUG=1 in one runs the program so), and every line starting with
`breakeven:` must appear in the program's output (a line ending in `...` as a prefix).
So the docs cannot drift from the library."""
import os, re, shlex, subprocess, sys, tempfile

def blocks(text):
    """(language, first line number, body) of each fenced block."""
    out, lang, start, body = [], None, 0, []
    for i, line in enumerate(text.splitlines(), 1):
        m = re.match(r'^```(\S*)\s*$', line)
        if m and lang is None:
            lang, start, body = m.group(1) or 'text', i + 1, []
        elif line.startswith('```') and lang is not None:
            out.append((lang, start, '\n'.join(body) + '\n'))
            lang = None
        elif lang is not None:
            body.append(line)
    return out

def main():
    args = sys.argv[1:]
    cxx, src, docs = None, None, []
    while args:
        a = args.pop(0)
        if a == '--cxx': cxx = args.pop(0)
        elif a == '--src': src = args.pop(0)
        else: docs.append(a)
    pkg = subprocess.run(['pkg-config', '--cflags', '--libs', 'libcrypto'], capture_output=True, text=True)
    crypto = shlex.split(pkg.stdout) if pkg.returncode == 0 else ['-lcrypto']
    flags = ['-std=c++20', '-O1', '-Wall', '-Wextra', '-I' + os.path.join(src, 'concepts'),
             '-I' + os.path.join(src, 'include')]
    libs = ['-pthread', '-lrt'] + crypto
    failures, programs = 0, 0
    work = tempfile.mkdtemp(prefix='breakeven-docs-')
    for doc in docs:
        text = open(doc).read()
        name = os.path.basename(doc)
        last_exe = None
        for lang, line, body in blocks(text):
            where = f'{name}:{line}'
            if lang == 'cpp':
                programs += 1
                cpp = os.path.join(work, f'{programs}.cpp')
                exe = os.path.join(work, f'{programs}')
                open(cpp, 'w').write(body)
                expect = re.match(r'// build error: (.*)', body)
                r = subprocess.run([cxx] + flags + [cpp, '-o', exe] + libs, capture_output=True, text=True)
                diag = r.stdout + r.stderr
                if expect:
                    errors = [l for l in diag.splitlines() if 'error:' in l]
                    if r.returncode == 0 or len(errors) != 1 or not re.search(expect.group(1), errors[0]):
                        print(f'FAIL {where}: expected one error matching {expect.group(1)!r}, got:\n{diag}')
                        failures += 1
                    else:
                        print(f'ok {where}: the one error: {errors[0].split("error:", 1)[1].strip()[:100]}')
                    last_exe = None
                    continue
                if r.returncode != 0 or 'warning:' in diag:
                    print(f'FAIL {where}: does not compile cleanly:\n{diag}')
                    failures += 1; last_exe = None; continue
                run = subprocess.run([exe], capture_output=True, text=True, timeout=300)
                if run.returncode != 0:
                    print(f'FAIL {where}: exit status {run.returncode}:\n{run.stdout}{run.stderr}')
                    failures += 1
                else:
                    print(f'ok {where}: compiled and ran')
                last_exe = exe
            elif lang == 'console' and last_exe:
                cmds = [l for l in body.splitlines() if l.startswith('$ ')]
                expected = [l for l in body.splitlines() if l.startswith('breakeven:')]
                if not expected:
                    continue
                env = dict(os.environ)
                if any('BREAKEVEN_DEBUG=1' in c for c in cmds):
                    env['BREAKEVEN_DEBUG'] = '1'
                run = subprocess.run([last_exe], capture_output=True, text=True, env=env, timeout=300)
                got = (run.stdout + run.stderr).splitlines()
                for e in expected:
                    ok = any(g.startswith(e[:-3].rstrip()) for g in got) if e.endswith('...') else e in got
                    if not ok:
                        print(f'FAIL {where}: the program does not print\n  {e}\nit prints:\n  ' + '\n  '.join(got))
                        failures += 1
                    else:
                        print(f'ok {where}: prints {e[:90]}')
    if programs == 0:
        print('FAIL: no ```cpp blocks found'); failures += 1
    subprocess.run(['rm', '-rf', work])
    print(f'{programs} programs, {failures} failures')
    return 1 if failures else 0

if __name__ == '__main__':
    sys.exit(main())
