#!/usr/bin/python3
"""check-log.py: every line of FILE is one well-formed ticketd log line.

    check-log.py FILE [--expect KEY=VALUE]... [--keys K1,K2,...]

A line is an optional "TIMESTAMP LEVEL SUBSYSTEM" prefix, then key=value
pairs: value bare (no blank, quote, '=' or backslash) or "quoted" with
\\" \\\\ and \\xNN escapes.  Fails (exit 1, saying where) on a line that
does not parse, a key given twice, a raw control byte, a key outside
--keys when given, or a --expect pair missing (the value compared after
unescaping).  Prints each line's pairs as JSON.  Stdlib only.
"""
import argparse
import json
import re
import sys

PREFIX = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (debug|info|warn|error|fatal) [a-z]+ ')
KEY = re.compile(r'[a-z_][a-z0-9_]*')


def parse(line):
    m = PREFIX.match(line)
    i = m.end() if m else 0
    pairs = {}
    while i < len(line):
        k = KEY.match(line, i)
        if not k or k.end() >= len(line) or line[k.end()] != '=':
            raise ValueError('no key=value at column %d' % i)
        key, i = k.group(0), k.end() + 1
        if i < len(line) and line[i] == '"':
            i += 1
            val = []
            while True:
                if i >= len(line):
                    raise ValueError('unterminated quote for %s' % key)
                c = line[i]
                if c == '"':
                    i += 1
                    break
                if c == '\\':
                    n = line[i + 1:i + 2]
                    if n in ('"', '\\'):
                        val.append(n)
                        i += 2
                    elif n == 'x' and re.fullmatch(r'[0-9a-f]{2}', line[i + 2:i + 4]):
                        val.append(chr(int(line[i + 2:i + 4], 16)))
                        i += 4
                    else:
                        raise ValueError('bad escape in %s' % key)
                    continue
                val.append(c)
                i += 1
            value = ''.join(val)
        else:
            j = i
            while j < len(line) and line[j] not in ' "=\\':
                j += 1
            value, i = line[i:j], j
        if key in pairs:
            raise ValueError('key %s given twice' % key)
        pairs[key] = value
        if i < len(line):
            if line[i] != ' ':
                raise ValueError('junk after %s at column %d' % (key, i))
            i += 1
    return pairs


def main():
    p = argparse.ArgumentParser()
    p.add_argument('file')
    p.add_argument('--expect', action='append', default=[])
    p.add_argument('--keys')
    a = p.parse_args()
    ok = True
    with open(a.file, 'rb') as f:
        raw = f.read()
    for n, bline in enumerate(raw.split(b'\n')[:-1] if raw.endswith(b'\n') else raw.split(b'\n'), 1):
        if any(b < 0x20 and b != 0x09 or b == 0x7f for b in bline):
            print('%s:%d: a raw control byte: %r' % (a.file, n, bline))
            ok = False
            continue
        line = bline.decode('utf-8', 'replace')
        try:
            pairs = parse(line)
        except ValueError as e:
            print('%s:%d: %s: %s' % (a.file, n, e, line))
            ok = False
            continue
        print(json.dumps(pairs, ensure_ascii=False))
        if a.keys:
            extra = set(pairs) - set(a.keys.split(','))
            if extra:
                print('%s:%d: unexpected keys %s' % (a.file, n, sorted(extra)))
                ok = False
        for e in a.expect:
            k, _, v = e.partition('=')
            if pairs.get(k) != v:
                print('%s:%d: %s is %r, expected %r' % (a.file, n, k, pairs.get(k), v))
                ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
