"""The sandbox: no path gets outside its directory capability.

Each way out is tried through the host functions directly: ``..``,
absolute paths, symlinks made by the host or by the guest that point out
(relatively, absolutely, through ``..`` after a link, as an intermediate
component), and every path function, not only path_open. Refusals are
``NOTCAPABLE`` (see engine.wasi.sandbox), and the host files outside are
never touched. Paths that wander but stay inside still work.
"""

from __future__ import annotations

import os

import pytest

from engine.wasi import Errno, FileType, Rights, WasiConfig
from engine.wasi import abi
from test_wasi_abi import Guest

NOTCAP = Errno.NOTCAPABLE
#: Rights libc asks for with O_RDONLY; write rights on a directory are EISDIR.
READ_ONLY = int(Rights.FD_READ | Rights.FD_READDIR | Rights.FD_SEEK | Rights.FD_TELL
                | Rights.PATH_OPEN | Rights.FD_FILESTAT_GET)


@pytest.fixture
def world(tmp_path):
    """tmp/outside.txt, tmp/outdir/secret, and the sandbox tmp/box with
    sub/inner.txt, a file, and host-made symlinks leading out and in."""
    box = tmp_path / "box"
    (box / "sub" / "deeper").mkdir(parents=True)
    (box / "sub" / "inner.txt").write_text("inner")
    (box / "top.txt").write_text("top")
    (tmp_path / "outside.txt").write_text("outside")
    (tmp_path / "outdir").mkdir()
    (tmp_path / "outdir" / "secret").write_text("secret")
    os.symlink("../outside.txt", box / "rel_out")
    os.symlink(str(tmp_path / "outside.txt"), box / "abs_out")
    os.symlink("../outdir", box / "dir_out")
    os.symlink("../../outside.txt", box / "sub" / "deep_out")
    os.symlink("sub/deeper", box / "in_link")
    os.symlink("..", box / "sub" / "up")
    os.symlink("loop2", box / "loop1")
    os.symlink("loop1", box / "loop2")
    guest = Guest(WasiConfig(preopens=[(str(box), "/box")]))
    yield guest, tmp_path
    guest.close()
    assert (tmp_path / "outside.txt").read_text() == "outside"
    assert (tmp_path / "outdir" / "secret").read_text() == "secret"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["box", "outdir", "outside.txt"]


ESCAPES = [
    "..",
    "../outside.txt",
    "sub/../../outside.txt",
    "sub/deeper/../../../outside.txt",
    "./../box/top.txt",  # out and back in is still out
    "/etc/passwd",
    "/",
    "rel_out",
    "abs_out",
    "dir_out/secret",
    "sub/deep_out",
    "sub/up/rel_out",
    "sub/up/../outside.txt",
    "in_link/../../../outside.txt",
]


@pytest.mark.parametrize("path", ESCAPES)
def test_open_refuses_every_way_out(world, path):
    guest, _ = world
    assert guest.open(path)[0] == NOTCAP
    assert guest.open(path, oflags=abi.OFlags.CREAT | abi.OFlags.TRUNC)[0] == NOTCAP
    assert guest.filestat(path)[0] == NOTCAP


def test_symlinks_that_lead_out_are_links_when_not_followed(world):
    guest, _ = world
    for name in ("rel_out", "abs_out", "dir_out"):
        err, st = guest.filestat(name, follow=False)
        assert (err, st[2]) == (0, FileType.SYMBOLIC_LINK)
        # Opening a final symlink without following is ELOOP (O_NOFOLLOW).
        assert guest.open(name, follow=False)[0] == Errno.LOOP
    # An intermediate symlink is always followed, so it is always checked.
    assert guest.open("dir_out/secret", follow=False)[0] == NOTCAP
    # Reading a link's contents does not follow it.
    ptr, size = guest.put("rel_out")
    buf, out = guest.alloc(64), guest.alloc(4)
    assert guest.call("path_readlink", 3, ptr, size, buf, 64, out) == 0
    assert guest.read(buf, guest.u32(out)) == b"../outside.txt"


def test_wandering_paths_that_stay_inside_work(world):
    guest, _ = world
    for path in ("sub/../top.txt", "sub/deeper/../../top.txt", "./sub/./inner.txt",
                 "sub/up/top.txt", "in_link/../inner.txt", "sub//inner.txt", "sub/deeper/",
                 ".", "sub/.."):
        err, fd = guest.open(path, rights=READ_ONLY)
        assert err == 0, path
        assert guest.call("fd_close", fd) == 0
    err, st = guest.filestat("in_link")
    assert (err, st[2]) == (0, FileType.DIRECTORY)
    assert guest.open("top.txt/")[0] == Errno.NOTDIR
    assert guest.open("loop1")[0] == Errno.LOOP
    assert guest.open("nothing/here")[0] == Errno.NOENT
    assert guest.open("")[0] == Errno.NOENT
    assert guest.open("top\0.txt")[0] == Errno.INVAL


def test_a_directory_fd_is_its_own_boundary(world):
    guest, _ = world
    assert guest.open("sub")[0] == Errno.ISDIR  # asked for write rights
    err, sub = guest.open("sub", oflags=abi.OFlags.DIRECTORY, rights=READ_ONLY)
    assert err == 0
    assert guest.open("inner.txt", fd=sub)[0] == 0
    # top.txt is inside the preopen, but not inside this capability.
    assert guest.open("../top.txt", fd=sub)[0] == NOTCAP
    assert guest.open("up/top.txt", fd=sub)[0] == NOTCAP
    assert guest.open("deep_out", fd=sub)[0] == NOTCAP


def call_path(guest: Guest, name: str, *paths: str, fd: int = 3) -> int:
    """Call a path function whose arguments are (fd, path) pairs."""
    args = []
    for path in paths:
        ptr, size = guest.put(path)
        args += [fd, ptr, size]
    return guest.call(name, *args)


def test_every_path_function_refuses_escapes(world):
    guest, tmp = world
    assert call_path(guest, "path_create_directory", "../made") == NOTCAP
    assert call_path(guest, "path_create_directory", "dir_out/made") == NOTCAP
    assert call_path(guest, "path_remove_directory", "../outdir") == NOTCAP
    assert call_path(guest, "path_unlink_file", "../outside.txt") == NOTCAP
    assert call_path(guest, "path_unlink_file", "dir_out/secret") == NOTCAP
    assert call_path(guest, "path_rename", "top.txt", "../stolen.txt") == NOTCAP
    assert call_path(guest, "path_rename", "../outside.txt", "taken.txt") == NOTCAP
    assert call_path(guest, "path_rename", "top.txt", "dir_out/stolen.txt") == NOTCAP
    old, old_len = guest.put("../outside.txt")
    new, new_len = guest.put("hard")
    assert guest.call("path_link", 3, 0, old, old_len, 3, new, new_len) == NOTCAP
    old, old_len = guest.put("rel_out")
    assert guest.call("path_link", 3, 1, old, old_len, 3, new, new_len) == NOTCAP
    target, target_len = guest.put("top.txt")
    name, name_len = guest.put("../planted")
    assert guest.call("path_symlink", target, target_len, 3, name, name_len) == NOTCAP
    ptr, size = guest.put("rel_out")
    assert guest.call("path_filestat_set_times", 3, 1, ptr, size, 0, 0,
                      abi.FstFlags.MTIM) == NOTCAP
    ptr, size = guest.put("../outside.txt")
    buf, out = guest.alloc(16), guest.alloc(4)
    assert guest.call("path_readlink", 3, ptr, size, buf, 16, out) == NOTCAP
    # Removing a link that leads out removes the link, not its target.
    assert call_path(guest, "path_unlink_file", "rel_out") == 0
    assert (tmp / "outside.txt").exists()


def test_symlinks_made_by_the_guest(world):
    guest, tmp = world

    def symlink(contents: str, name: str) -> int:
        c_ptr, c_len = guest.put(contents)
        n_ptr, n_len = guest.put(name)
        return guest.call("path_symlink", c_ptr, c_len, 3, n_ptr, n_len)

    # Absolute contents could only lead out: refused when made.
    assert symlink(str(tmp / "outside.txt"), "mine_abs") == NOTCAP
    assert not os.path.lexists(tmp / "box" / "mine_abs")
    # Relative contents that climb out may be made, and are refused when used.
    assert symlink("../../outside.txt", "sub/mine_out") == 0
    assert guest.open("sub/mine_out")[0] == NOTCAP
    assert guest.open("sub/mine_out", oflags=abi.OFlags.CREAT | abi.OFlags.TRUNC)[0] == NOTCAP
    assert symlink("../outdir", "mine_dir") == 0
    assert call_path(guest, "path_create_directory", "mine_dir/x") == NOTCAP
    assert guest.open("mine_dir/secret")[0] == NOTCAP
    # Creating through a dangling link inside the sandbox creates inside it.
    assert symlink("sub/new.txt", "dangling") == 0
    err, fd = guest.open("dangling", oflags=abi.OFlags.CREAT)
    assert err == 0
    assert guest.write(fd, b"made") == (0, 4)
    assert (tmp / "box" / "sub" / "new.txt").read_text() == "made"


def test_a_symlink_swapped_in_after_resolving_cannot_lead_out(world):
    """The final open is O_NOFOLLOW: were a checked name replaced by a
    symlink between resolving and opening, the open fails instead of
    following it."""
    guest, tmp = world
    from engine.wasi.sandbox import resolve

    res = resolve(guest.ctx.fds.get(3).host_fd, b"sub/victim", follow=True)
    try:
        os.symlink(str(tmp / "outside.txt"), tmp / "box" / "sub" / "victim")
        with pytest.raises(OSError):
            os.open(res.name, os.O_RDONLY | os.O_NOFOLLOW, dir_fd=res.dir_fd)
    finally:
        res.close()
