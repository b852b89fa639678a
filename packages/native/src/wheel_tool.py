"""Reads a wheel (a zip file) for xp's native setup, with nothing but the standard library.

Python's zipfile streams members to disk, so a 1 GB shared library is never held in memory, and
pip's presence (which the setup needs anyway) guarantees a Python to run this.

  wheel_tool.py metadata WHEEL               print the wheel's METADATA
  wheel_tool.py list WHEEL                    print one JSON object: {name: size} of every member
  wheel_tool.py read WHEEL NAME...            print one JSON object: {name: text} of the named members
  wheel_tool.py extract WHEEL DEST JSON       JSON is [[member, relative destination], ...] or
                                              [[prefix/, relative destination/], ...]; prints
                                              {"done": bytes, "total": bytes} lines as it writes
"""
import json
import os
import sys
import zipfile


def metadata(z):
    for name in z.namelist():
        parts = name.split('/')
        if len(parts) == 2 and parts[0].endswith('.dist-info') and parts[1] == 'METADATA':
            sys.stdout.write(z.read(name).decode('utf-8'))
            return
    sys.exit('no .dist-info/METADATA in the wheel')


def plan(z, mapping):
    jobs = []
    for source, target in mapping:
        if source.endswith('/'):
            for info in z.infolist():
                if info.filename.startswith(source) and not info.is_dir():
                    jobs.append((info, target + info.filename[len(source):]))
        else:
            jobs.append((z.getinfo(source), target))
    return jobs


def extract(z, dest, mapping):
    jobs = plan(z, mapping)
    total = sum(info.file_size for info, _ in jobs)
    done = 0
    print(json.dumps({'done': 0, 'total': total}), flush=True)
    for info, target in jobs:
        path = os.path.join(dest, target)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        partial = path + '.partial'
        with z.open(info) as src, open(partial, 'wb') as out:
            while True:
                chunk = src.read(1 << 22)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                print(json.dumps({'done': done, 'total': total}), flush=True)
        # Keep the permission bits the wheel records (shared libraries are executable).
        mode = (info.external_attr >> 16) & 0o777
        if mode:
            os.chmod(partial, mode)
        os.replace(partial, path)


def main(argv):
    command, wheel = argv[1], argv[2]
    with zipfile.ZipFile(wheel) as z:
        if command == 'metadata':
            metadata(z)
        elif command == 'list':
            print(json.dumps({info.filename: info.file_size for info in z.infolist() if not info.is_dir()}))
        elif command == 'read':
            print(json.dumps({name: z.read(name).decode('utf-8', 'replace') for name in argv[3:]}))
        elif command == 'extract':
            extract(z, argv[3], json.loads(argv[4]))
        else:
            sys.exit('unknown command ' + command)


if __name__ == '__main__':
    try:
        main(sys.argv)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        sys.exit('%s: %s' % (type(error).__name__, error))
