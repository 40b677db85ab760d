#!/usr/bin/env python3
"""Check that the SYNOPSIS of each manual page in docs/man matches include/*.h.

For every PARKER_API function that a page documents, the prototype the page
shows (.Ft + .Fn, or .Ft + .Fo/.Fa/.Fc) must equal the header's declaration,
parameter names included, and the page must .In the header that declares
it.  Every name in a page's NAME section must also appear in its SYNOPSIS.
Functions that no header declares yet are skipped (stage:man warns about
them).  Prints one line per problem; exit status 1 if there was any.

Usage: man_synopsis_check.py INCLUDE_DIR MAN_DIR
"""
import glob
import os
import re
import shlex
import sys


def norm(text):
    """Whitespace-insensitive form of a C prototype."""
    text = re.sub(r"\s+", " ", text.strip())
    return re.sub(r"\s*([*(),])\s*", r"\1", text)


def header_prototypes(include_dir):
    protos = {}
    for path in sorted(glob.glob(os.path.join(include_dir, "*.h"))):
        src = open(path, encoding="utf-8").read()
        src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
        for m in re.finditer(r"\bPARKER_API\s+([^;{]*?\))\s*;", src, flags=re.S):
            decl = m.group(1)
            name = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(", decl).group(1)
            protos[name] = (norm(decl), os.path.basename(path))
    return protos


def page_prototypes(path):
    """Returns (NAME-section names, {name: prototype}, set of .In headers)."""
    names, protos, includes = [], {}, set()
    section, ret, fo = None, None, None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith(".Sh "):
            section = line[4:]
            continue
        if section == "NAME" and line.startswith(".Nm "):
            names.append(line.split()[1])
        if section != "SYNOPSIS":
            continue
        if line.startswith(".In "):
            includes.add(line.split()[1])
        elif line.startswith(".Ft "):
            ret = line[4:]
        elif line.startswith(".Fn "):
            words = shlex.split(line[4:])
            if not words[0].startswith("(") and ret is not None and not ret.startswith("typedef"):
                protos[words[0]] = norm("%s %s(%s)" % (ret, words[0], ", ".join(words[1:])))
            ret = None
        elif line.startswith(".Fo "):
            fo = (line.split()[1], [])
        elif line.startswith(".Fa ") and fo is not None:
            fo[1].extend(shlex.split(line[4:]))
        elif line.startswith(".Fc") and fo is not None:
            if ret is not None and not ret.startswith("typedef"):
                protos[fo[0]] = norm("%s %s(%s)" % (ret, fo[0], ", ".join(fo[1])))
            fo, ret = None, None
    return names, protos, includes


def main():
    include_dir, man_dir = sys.argv[1], sys.argv[2]
    declared = header_prototypes(include_dir)
    problems = 0
    for path in sorted(glob.glob(os.path.join(man_dir, "*.3"))):
        names, protos, includes = page_prototypes(path)
        for name in names:
            if name.startswith("lib"):
                continue  # an overview page, not a function
            if name not in protos:
                print("%s: %s is in NAME but has no prototype in SYNOPSIS" % (path, name))
                problems += 1
                continue
            if name not in declared:
                continue
            want, header = declared[name]
            if protos[name] != want:
                print("%s: %s\n   page:   %s\n   header: %s" % (path, name, protos[name], want))
                problems += 1
            if header not in includes:
                print("%s: %s is declared in %s, which the page does not .In" % (path, name, header))
                problems += 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
