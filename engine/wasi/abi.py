"""The ``wasi_snapshot_preview1`` ABI: numbers, flags and memory layouts.

Everything here is taken from the preview 1 witx definitions
(``typenames.witx`` and ``wasi_snapshot_preview1.witx``): enum tags are the
position of the case in its ``enum``, flag bits the position of the flag in
its ``flags``, and records are laid out with the C rules for wasm32 (each
field aligned to its own size, the record to its largest field).
"""

from __future__ import annotations

import enum
import struct

MODULE = "wasi_snapshot_preview1"


class Errno(enum.IntEnum):
    """``errno``: the result of every function that can fail (a u16)."""

    SUCCESS = 0
    TOOBIG = 1  # "2big" in the witx
    ACCES = 2
    ADDRINUSE = 3
    ADDRNOTAVAIL = 4
    AFNOSUPPORT = 5
    AGAIN = 6
    ALREADY = 7
    BADF = 8
    BADMSG = 9
    BUSY = 10
    CANCELED = 11
    CHILD = 12
    CONNABORTED = 13
    CONNREFUSED = 14
    CONNRESET = 15
    DEADLK = 16
    DESTADDRREQ = 17
    DOM = 18
    DQUOT = 19
    EXIST = 20
    FAULT = 21
    FBIG = 22
    HOSTUNREACH = 23
    IDRM = 24
    ILSEQ = 25
    INPROGRESS = 26
    INTR = 27
    INVAL = 28
    IO = 29
    ISCONN = 30
    ISDIR = 31
    LOOP = 32
    MFILE = 33
    MLINK = 34
    MSGSIZE = 35
    MULTIHOP = 36
    NAMETOOLONG = 37
    NETDOWN = 38
    NETRESET = 39
    NETUNREACH = 40
    NFILE = 41
    NOBUFS = 42
    NODEV = 43
    NOENT = 44
    NOEXEC = 45
    NOLCK = 46
    NOLINK = 47
    NOMEM = 48
    NOMSG = 49
    NOPROTOOPT = 50
    NOSPC = 51
    NOSYS = 52
    NOTCONN = 53
    NOTDIR = 54
    NOTEMPTY = 55
    NOTRECOVERABLE = 56
    NOTSOCK = 57
    NOTSUP = 58
    NOTTY = 59
    NXIO = 60
    OVERFLOW = 61
    OWNERDEAD = 62
    PERM = 63
    PIPE = 64
    PROTO = 65
    PROTONOSUPPORT = 66
    PROTOTYPE = 67
    RANGE = 68
    ROFS = 69
    SPIPE = 70
    SRCH = 71
    STALE = 72
    TIMEDOUT = 73
    TXTBSY = 74
    XDEV = 75
    NOTCAPABLE = 76


class Rights(enum.IntFlag):
    """``rights`` (u64): what a file descriptor may be used for."""

    FD_DATASYNC = 1 << 0
    FD_READ = 1 << 1
    FD_SEEK = 1 << 2
    FD_FDSTAT_SET_FLAGS = 1 << 3
    FD_SYNC = 1 << 4
    FD_TELL = 1 << 5
    FD_WRITE = 1 << 6
    FD_ADVISE = 1 << 7
    FD_ALLOCATE = 1 << 8
    PATH_CREATE_DIRECTORY = 1 << 9
    PATH_CREATE_FILE = 1 << 10
    PATH_LINK_SOURCE = 1 << 11
    PATH_LINK_TARGET = 1 << 12
    PATH_OPEN = 1 << 13
    FD_READDIR = 1 << 14
    PATH_READLINK = 1 << 15
    PATH_RENAME_SOURCE = 1 << 16
    PATH_RENAME_TARGET = 1 << 17
    PATH_FILESTAT_GET = 1 << 18
    PATH_FILESTAT_SET_SIZE = 1 << 19
    PATH_FILESTAT_SET_TIMES = 1 << 20
    FD_FILESTAT_GET = 1 << 21
    FD_FILESTAT_SET_SIZE = 1 << 22
    FD_FILESTAT_SET_TIMES = 1 << 23
    PATH_SYMLINK = 1 << 24
    PATH_REMOVE_DIRECTORY = 1 << 25
    PATH_UNLINK_FILE = 1 << 26
    POLL_FD_READWRITE = 1 << 27
    SOCK_SHUTDOWN = 1 << 28
    SOCK_ACCEPT = 1 << 29


R = Rights

#: Every right the witx defines.
RIGHTS_ALL = (1 << 30) - 1

#: The rights that mean something on a regular file descriptor.
RIGHTS_FILE = int(
    R.FD_DATASYNC | R.FD_READ | R.FD_SEEK | R.FD_FDSTAT_SET_FLAGS | R.FD_SYNC | R.FD_TELL
    | R.FD_WRITE | R.FD_ADVISE | R.FD_ALLOCATE | R.FD_FILESTAT_GET | R.FD_FILESTAT_SET_SIZE
    | R.FD_FILESTAT_SET_TIMES | R.POLL_FD_READWRITE)

#: The rights that mean something on a directory descriptor.
RIGHTS_DIR = int(
    R.FD_DATASYNC | R.FD_FDSTAT_SET_FLAGS | R.FD_SYNC | R.PATH_CREATE_DIRECTORY
    | R.PATH_CREATE_FILE | R.PATH_LINK_SOURCE | R.PATH_LINK_TARGET | R.PATH_OPEN | R.FD_READDIR
    | R.PATH_READLINK | R.PATH_RENAME_SOURCE | R.PATH_RENAME_TARGET | R.PATH_FILESTAT_GET
    | R.PATH_FILESTAT_SET_SIZE | R.PATH_FILESTAT_SET_TIMES | R.FD_FILESTAT_GET
    | R.FD_FILESTAT_SET_TIMES | R.PATH_SYMLINK | R.PATH_REMOVE_DIRECTORY | R.PATH_UNLINK_FILE)

#: What a read-only preopened directory (and what is opened through it)
#: lacks: every right that creates, writes, renames or removes.
RIGHTS_MUTATING = int(
    R.FD_WRITE | R.FD_ALLOCATE | R.FD_FILESTAT_SET_SIZE | R.FD_FILESTAT_SET_TIMES
    | R.FD_DATASYNC | R.FD_SYNC | R.PATH_CREATE_DIRECTORY | R.PATH_CREATE_FILE
    | R.PATH_LINK_SOURCE | R.PATH_LINK_TARGET | R.PATH_RENAME_SOURCE | R.PATH_RENAME_TARGET
    | R.PATH_FILESTAT_SET_SIZE | R.PATH_FILESTAT_SET_TIMES | R.PATH_SYMLINK
    | R.PATH_REMOVE_DIRECTORY | R.PATH_UNLINK_FILE)

#: Standard input: readable, pollable, never seekable (libc takes a
#: character device without seek rights for a terminal).
RIGHTS_STDIN = int(R.FD_READ | R.POLL_FD_READWRITE | R.FD_FILESTAT_GET | R.FD_FDSTAT_SET_FLAGS
                   | R.FD_SYNC | R.FD_DATASYNC)
#: Standard output and error.
RIGHTS_STDOUT = int(R.FD_WRITE | R.POLL_FD_READWRITE | R.FD_FILESTAT_GET | R.FD_FDSTAT_SET_FLAGS
                    | R.FD_SYNC | R.FD_DATASYNC)


class FileType(enum.IntEnum):
    """``filetype`` (u8)."""

    UNKNOWN = 0
    BLOCK_DEVICE = 1
    CHARACTER_DEVICE = 2
    DIRECTORY = 3
    REGULAR_FILE = 4
    SOCKET_DGRAM = 5
    SOCKET_STREAM = 6
    SYMBOLIC_LINK = 7


class Whence(enum.IntEnum):
    """``whence`` (u8)."""

    SET = 0
    CUR = 1
    END = 2


class ClockId(enum.IntEnum):
    """``clockid`` (u32)."""

    REALTIME = 0
    MONOTONIC = 1
    PROCESS_CPUTIME_ID = 2
    THREAD_CPUTIME_ID = 3


class FdFlags(enum.IntFlag):
    """``fdflags`` (u16)."""

    APPEND = 1 << 0
    DSYNC = 1 << 1
    NONBLOCK = 1 << 2
    RSYNC = 1 << 3
    SYNC = 1 << 4


class OFlags(enum.IntFlag):
    """``oflags`` (u16): how ``path_open`` opens."""

    CREAT = 1 << 0
    DIRECTORY = 1 << 1
    EXCL = 1 << 2
    TRUNC = 1 << 3


class LookupFlags(enum.IntFlag):
    """``lookupflags`` (u32)."""

    SYMLINK_FOLLOW = 1 << 0


class FstFlags(enum.IntFlag):
    """``fstflags`` (u16): which timestamps ``*_set_times`` changes."""

    ATIM = 1 << 0
    ATIM_NOW = 1 << 1
    MTIM = 1 << 2
    MTIM_NOW = 1 << 3


class Advice(enum.IntEnum):
    """``advice`` (u8)."""

    NORMAL = 0
    SEQUENTIAL = 1
    RANDOM = 2
    WILLNEED = 3
    DONTNEED = 4
    NOREUSE = 5


class EventType(enum.IntEnum):
    """``eventtype`` (u8): the tag of a subscription and of an event."""

    CLOCK = 0
    FD_READ = 1
    FD_WRITE = 2


#: ``subclockflags``: the timeout is an absolute time of the clock.
SUBSCRIPTION_CLOCK_ABSTIME = 1 << 0
#: ``eventrwflags``: the peer hung up.
EVENT_FD_READWRITE_HANGUP = 1 << 0
#: ``preopentype``: the only kind of preopen.
PREOPENTYPE_DIR = 0
#: ``dircookie`` of the first entry.
DIRCOOKIE_START = 0

# --- Records (little-endian, wasm32 C layout) --------------------------------

#: ``iovec`` / ``ciovec``: buf u32 @0, buf_len u32 @4; 8 bytes.
IOVEC = struct.Struct("<II")
#: ``fdstat``: filetype u8 @0, flags u16 @2, rights_base u64 @8,
#: rights_inheriting u64 @16; 24 bytes.
FDSTAT = struct.Struct("<BxHxxxxQQ")
#: ``filestat``: dev @0, ino @8, filetype u8 @16, nlink @24, size @32,
#: atim @40, mtim @48, ctim @56; 64 bytes.
FILESTAT = struct.Struct("<QQB7xQQQQQ")
#: ``dirent``: d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20;
#: 24 bytes, followed by the name.
DIRENT = struct.Struct("<QQIB3x")
#: ``prestat``: tag u8 @0, then ``prestat_dir.pr_name_len`` u32 @4; 8 bytes.
PRESTAT = struct.Struct("<B3xI")
#: ``subscription``: userdata u64 @0, tag u8 @8, union at @16 (8-aligned);
#: 48 bytes.
SUBSCRIPTION_SIZE = 48
SUBSCRIPTION_HEAD = struct.Struct("<QB")
#: ``subscription_clock`` at @16: id u32 @16, timeout u64 @24,
#: precision u64 @32, flags u16 @40.
SUBSCRIPTION_CLOCK = struct.Struct("<I4xQQH")
SUBSCRIPTION_UNION_OFFSET = 16
#: ``subscription_fd_readwrite`` at @16: file_descriptor u32.
SUBSCRIPTION_FD = struct.Struct("<I")
#: ``event``: userdata u64 @0, error u16 @8, type u8 @10,
#: fd_readwrite.nbytes u64 @16, fd_readwrite.flags u16 @24; 32 bytes.
EVENT = struct.Struct("<QHB5xQH6x")

assert IOVEC.size == 8 and FDSTAT.size == 24 and FILESTAT.size == 64
assert DIRENT.size == 24 and PRESTAT.size == 8 and EVENT.size == 32
assert SUBSCRIPTION_UNION_OFFSET + SUBSCRIPTION_CLOCK.size == 42

# --- Function signatures -----------------------------------------------------

#: Core Wasm signature of every function: parameter and result kinds as
#: strings of ``i`` (i32) and ``I`` (i64). Pointers, sizes, fds, enums and
#: flags of 32 bits or fewer are i32; filesize, timestamp, rights, dircookie,
#: filedelta and userdata are i64; an ``expected`` result is an i32 errno
#: plus an out-pointer parameter per value.
SIGNATURES: dict[str, tuple[str, str]] = {
    "args_get": ("ii", "i"),
    "args_sizes_get": ("ii", "i"),
    "environ_get": ("ii", "i"),
    "environ_sizes_get": ("ii", "i"),
    "clock_res_get": ("ii", "i"),
    "clock_time_get": ("iIi", "i"),
    "fd_advise": ("iIIi", "i"),
    "fd_allocate": ("iII", "i"),
    "fd_close": ("i", "i"),
    "fd_datasync": ("i", "i"),
    "fd_fdstat_get": ("ii", "i"),
    "fd_fdstat_set_flags": ("ii", "i"),
    "fd_fdstat_set_rights": ("iII", "i"),
    "fd_filestat_get": ("ii", "i"),
    "fd_filestat_set_size": ("iI", "i"),
    "fd_filestat_set_times": ("iIIi", "i"),
    "fd_pread": ("iiiIi", "i"),
    "fd_prestat_get": ("ii", "i"),
    "fd_prestat_dir_name": ("iii", "i"),
    "fd_pwrite": ("iiiIi", "i"),
    "fd_read": ("iiii", "i"),
    "fd_readdir": ("iiiIi", "i"),
    "fd_renumber": ("ii", "i"),
    "fd_seek": ("iIii", "i"),
    "fd_sync": ("i", "i"),
    "fd_tell": ("ii", "i"),
    "fd_write": ("iiii", "i"),
    "path_create_directory": ("iii", "i"),
    "path_filestat_get": ("iiiii", "i"),
    "path_filestat_set_times": ("iiiiIIi", "i"),
    "path_link": ("iiiiiii", "i"),
    "path_open": ("iiiiiIIii", "i"),
    "path_readlink": ("iiiiii", "i"),
    "path_remove_directory": ("iii", "i"),
    "path_rename": ("iiiiii", "i"),
    "path_symlink": ("iiiii", "i"),
    "path_unlink_file": ("iii", "i"),
    "poll_oneoff": ("iiii", "i"),
    "proc_exit": ("i", ""),
    "proc_raise": ("i", "i"),
    "sched_yield": ("", "i"),
    "random_get": ("ii", "i"),
    "sock_accept": ("iii", "i"),
    "sock_recv": ("iiiiii", "i"),
    "sock_send": ("iiiii", "i"),
    "sock_shutdown": ("ii", "i"),
}
