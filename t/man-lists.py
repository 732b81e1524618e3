#!/usr/bin/python3
"""man-lists.py: the lists t5101-man.sh compares, one item a line, sorted.

  man-lists.py man-options PAGE SECTION  options (-c, --config) in the tag
                                         lines of .TP entries of .SH SECTION
  man-options-all PAGE                   every option token in PAGE
  man-commands PAGE                      command names of .SH COMMANDS tags
  man-keys PAGE                          "section key" of each .TP ".B key"
                                         under a .SS [section ...]
  help-options FILE                      options on the indented lines of a
                                         --help text
  help-commands FILE                     the command names of ticketctl --help
  example-keys CONF                      "section key" of every key = value
                                         line of a ticketd.conf, commented
                                         out ones too
  parser-stems CONF_C                    "section stem" for every key name
                                         compared with k in key_SECTION()

Roff is read as written in contrib/man (\\- is a hyphen, \\fX font changes
are dropped).  Stdlib only.
"""
import re
import sys

OPTION = re.compile(r'(?<![\w-])(--[a-z][a-z-]*|-[a-zA-Z])(?![\w-])')


def roff_text(line):
    line = re.sub(r'\\f[BIRP]', '', line)
    line = line.replace('\\-', '-').replace('\\(em', '-')
    line = re.sub(r'^\.(B|I|BR|RB|IR|RI|BI|IB)\s+', '', line)
    return line.replace('"', '')


def sections(path):
    """(section heading, [lines]) for each .SH of a page."""
    current, out = None, {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            m = re.match(r'\.SH\s+"?([^"]*)"?$', line)
            if m:
                current = m.group(1).strip()
                out[current] = []
            elif current is not None:
                out[current].append(line)
    return out


def tag_lines(lines):
    """The line after each .TP."""
    return [lines[i + 1] for i, line in enumerate(lines[:-1]) if line == '.TP']


def emit(items):
    for item in sorted(set(items)):
        print(item)


def man_options(path, section):
    items = []
    for tag in tag_lines(sections(path)[section]):
        items += OPTION.findall(roff_text(tag))
    emit(items)


def man_options_all(path):
    items = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if not line.startswith('.\\"'):
                items += [o for o in OPTION.findall(roff_text(line)) if o.startswith('--')]
    emit(items)


def man_commands(path):
    items = []
    for tag in tag_lines(sections(path)['COMMANDS']):
        first = roff_text(tag).split()[0]
        items += first.split('|')
    emit(items)


def man_keys(path):
    """A .SS heading names its sections in brackets: "[smtp]", or
    "OAuth2: [smtp] and [mailbox NAME]" for keys of both."""
    items, sections = [], []
    with open(path, encoding='utf-8') as f:
        lines = [line.rstrip('\n') for line in f]
    for i, line in enumerate(lines):
        if line.startswith('.SH'):
            sections = []
        if line.startswith('.SS'):
            sections = re.findall(r'\[([a-z]+)', line)
        if sections and line == '.TP' and i + 1 < len(lines):
            k = re.match(r'\.B\s+([a-z][a-z0-9_]*)$', lines[i + 1])
            if k:
                items += ['%s %s' % (section, k.group(1)) for section in sections]
    emit(items)


def help_options(path):
    items = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            if line.startswith('  '):
                items += OPTION.findall(line)
    emit(items)


def help_commands(path):
    items, in_commands = [], False
    with open(path, encoding='utf-8') as f:
        for line in f:
            if re.match(r'^[A-Z][A-Za-z]*:$', line.strip()) and not line.startswith(' '):
                in_commands = True
                continue
            if not line.startswith('  '):
                in_commands = in_commands and line.strip() != ''
                continue
            if line.startswith('   '):
                continue        # a continuation of the line above
            if in_commands and not line.lstrip().startswith('-'):
                items += line.split()[0].split('|')
    emit(items)


def section_items(path, head, item, end=None, rename=None):
    """"section item" for each match of item in the lines after a line
    matching head (its group 1 names the section), until one matching end.
    rename maps a section to the prefixes ("section prefix") its items get
    instead."""
    items, section = [], None
    with open(path, encoding='utf-8') as f:
        for line in f:
            m = re.match(head, line)
            if m:
                section = m.group(1)
                continue
            if end is not None and re.match(end, line):
                section = None
            if section:
                prefixes = (rename or {}).get(section, (section + ' ',))
                items += [p + k for p in prefixes for k in re.findall(item, line)]
    emit(items)


def example_keys(path):
    section_items(path, r'^\[([a-z]+)', r'^#?([a-z][a-z0-9_]*) = ')


def parser_stems(path):
    """key_SECTION() compares k with the key names; key_oauth() those of
    [smtp] and [mailbox] after their "oauth_" prefix."""
    section_items(path, r'^key_([a-z]+)\(', r'str(?:n?cmp)\(k, "([a-z0-9_]+)"', end=r'^}',
                  rename={'oauth': ('smtp oauth_', 'mailbox oauth_')})


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {
        'man-options': man_options,
        'man-options-all': man_options_all,
        'man-commands': man_commands,
        'man-keys': man_keys,
        'help-options': help_options,
        'help-commands': help_commands,
        'example-keys': example_keys,
        'parser-stems': parser_stems,
    }[cmd](*args)


if __name__ == '__main__':
    main()
