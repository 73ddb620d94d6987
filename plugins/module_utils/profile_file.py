# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading and replacing a user's AWS CLI config or credentials file safely.

- Bytes that are not UTF-8 survive (surrogate escapes), so nothing the module does not
  own changes.
- A symlinked file (dotfiles repositories link ~/.aws/config) is written through: the
  link stays, its target is replaced.
- The replacement is atomic (temporary file in the target's folder, fsync, rename), and
  has its final mode before it holds a byte, so a secret is never briefly readable.
  AnsibleModule.atomic_move would apply the umask's mode to a new file after the rename.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat
import tempfile

from ansible.module_utils.common.text.converters import to_bytes, to_text

NEW_FILE_MODE = 0o600
NEW_FOLDER_MODE = 0o700


def read_text(path):
    """The file's text ("" when it does not exist), following symlinks."""
    try:
        with open(path, "rb") as handle:
            return to_text(handle.read(), errors="surrogate_or_strict")
    except (IOError, OSError) as e:
        if getattr(e, "errno", None) == 2:  # ENOENT; FileNotFoundError is Python 3 only
            return ""
        raise


def file_mode(path):
    """Permission bits of the file (of a symlink's target), or None when there is none."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def write_text(path, text, mode):
    """Replace the file (a symlink's target) with text.

    mode None keeps an existing file's mode (0600 for a new one); an existing file's
    owner is kept when root writes it.
    """
    target = os.path.realpath(path)
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        os.makedirs(directory, NEW_FOLDER_MODE)
    try:
        before = os.stat(target)
    except OSError:
        before = None
    if mode is None:
        mode = stat.S_IMODE(before.st_mode) if before else NEW_FILE_MODE
    handle, temp = tempfile.mkstemp(dir=directory, prefix=".{0}.".format(os.path.basename(target)))
    try:
        os.fchmod(handle, mode)
        if before is not None and os.geteuid() == 0:
            os.fchown(handle, before.st_uid, before.st_gid)
        data = to_bytes(text, errors="surrogate_or_strict")
        while data:
            data = data[os.write(handle, data) :]
        os.fsync(handle)
        os.close(handle)
        handle = None
        os.replace(temp, target)
    except BaseException:
        if handle is not None:
            os.close(handle)
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    _fsync_folder(directory)


def _fsync_folder(directory):
    """Make the rename durable; some file systems cannot open a folder, which is fine."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
