#!/usr/bin/env python3
"""t/check-style.py FILE...: house rules a compiler does not check.

  - no assignment inside a condition (if, while, for's test, ?:-free);
  - none of the banned calls: sprintf, strcpy, strcat, strtok, atoi, gets.

Prints one "file:line: problem" per finding and exits 1 when there is any.
Comments, strings and character constants are skipped.
"""
import re
import sys

BANNED = ('sprintf', 'strcpy', 'strcat', 'strtok', 'atoi', 'gets')


def blank_out(text):
    """text with comments, strings and chars replaced by spaces (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r'[^\n]', ' ', text[i:j]))
            i = j
        elif text.startswith('//', i):
            j = text.find('\n', i)
            j = n if j < 0 else j
            out.append(' ' * (j - i))
            i = j
        elif c in '"\'':
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == '\\' else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r'[^\n]', ' ', text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def condition_spans(code):
    """(start, end) of the parenthesised condition of each if/while, and the
    middle clause of each for."""
    for m in re.finditer(r'\b(if|while|for)\s*\(', code):
        start = m.end()
        depth, i = 1, start
        while i < len(code) and depth:
            if code[i] == '(':
                depth += 1
            elif code[i] == ')':
                depth -= 1
            i += 1
        end = i - 1
        if m.group(1) == 'for':
            parts = []
            depth, last = 0, start
            for k in range(start, end):
                if code[k] == '(':
                    depth += 1
                elif code[k] == ')':
                    depth -= 1
                elif code[k] == ';' and depth == 0:
                    parts.append(k)
            if len(parts) != 2:
                continue
            yield parts[0] + 1, parts[1]
        else:
            yield start, end


ASSIGN = re.compile(r'(?<![=!<>+\-*/%&|^])=(?!=)|(\+|-|\*|/|%|&|\||\^|<<|>>)=(?!=)|\+\+|--')


def check(path):
    text = open(path, encoding='utf-8', errors='replace').read()
    code = blank_out(text)
    problems = []
    for a, b in condition_spans(code):
        m = ASSIGN.search(code, a, b)
        if m:
            line = code.count('\n', 0, m.start()) + 1
            problems.append('%s:%d: assignment inside a condition' % (path, line))
    for m in re.finditer(r'\b(%s)\s*\(' % '|'.join(BANNED), code):
        line = code.count('\n', 0, m.start()) + 1
        problems.append('%s:%d: %s is banned' % (path, line, m.group(1)))
    return problems


def main():
    problems = []
    for path in sys.argv[1:]:
        problems += check(path)
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
