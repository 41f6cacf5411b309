#!/usr/bin/env python3
"""Fails when an #include in service/ points sideways or up against service/LAYERS.

    tests/structure/check_layers.py [REPO]        exit 0 when clean, 1 with one line per breach

Each line of LAYERS is a layer, lowest first; a folder may include its own folder's headers and
those of folders on lower lines. A folder of service/ missing from LAYERS is a breach too, so a
new folder has to take its place before it can include anything.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"/]+)/[^"]+"')


def read_layers(path):
    rank = {}
    for number, line in enumerate(path.read_text().splitlines()):
        line = line.split("#", 1)[0].split()
        for folder in line:
            if folder in rank:
                sys.exit(f"{path}: {folder} is on two lines")
            rank[folder] = number
    return rank


def breaches(repo):
    service = repo / "service"
    rank = read_layers(service / "LAYERS")
    found = []
    for source in sorted(service.rglob("*")):
        if source.suffix not in (".cpp", ".hpp", ".h") or not source.is_file():
            continue
        relative = source.relative_to(service)
        folder = relative.parts[0] if len(relative.parts) > 1 else None
        if folder is None:
            found.append(f"service/{relative}: outside every folder of LAYERS")
            continue
        if folder not in rank:
            found.append(f"service/{relative}: folder {folder}/ is not in service/LAYERS")
            continue
        for number, line in enumerate(source.read_text().splitlines(), 1):
            match = INCLUDE.match(line)
            if not match:
                continue
            target = match.group(1)
            if target == folder:
                continue
            if target not in rank:
                found.append(f"service/{relative}:{number}: includes {target}/, not in LAYERS")
            elif rank[target] == rank[folder]:
                found.append(f"service/{relative}:{number}: {folder}/ includes {target}/ "
                             "sideways (same layer)")
            elif rank[target] > rank[folder]:
                found.append(f"service/{relative}:{number}: {folder}/ includes {target}/, "
                             "a layer above it")
    return found


def main():
    repo = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                        pathlib.Path(__file__).resolve().parents[2])
    found = breaches(repo)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} include(s) against service/LAYERS")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
