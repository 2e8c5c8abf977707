"""WASI preview 1 (``wasi_snapshot_preview1``) for the engine.

Run a command module in one call::

    from engine.wasi import run_command
    code = run_command("prog.wasm", ["prog", "arg"], env={"K": "V"},
                       dirs=[("/host/data", "/data")])

or wire it by hand::

    import io, engine
    from engine.wasi import WasiConfig, WasiContext, define_wasi, run_start

    out = io.BytesIO()
    config = WasiConfig(argv=["prog"], stdout=out).preopen_dir("data", "/data")
    eng = engine.Engine(); store = engine.Store(eng); linker = engine.Linker(eng)
    with WasiContext(config) as ctx:
        define_wasi(linker, ctx)
        instance = linker.instantiate(store, engine.Module(eng, wasm))
        ctx.bind(instance, store)
        code = run_start(store, instance)

Every function of the witx is provided. Paths never leave the preopened
directories (see :mod:`engine.wasi.sandbox`: escapes fail with
``Errno.NOTCAPABLE``). ``proc_exit`` raises :class:`ProcExit`, which the
engine wraps in a ``Trap`` whose ``__cause__`` it is; :func:`run_start` and
:func:`run_command` turn it back into the exit status
(:func:`exit_code_of` does it for other callers). Host functions access the
guest memory through ``Memory.data`` (the memory's bytes) with their own
bounds checks. Sockets are not provided (``sock_*`` answer ``NOTSOCK``), nor
are signals (``proc_raise`` answers ``NOTSUP``). POSIX hosts only: the
sandbox is built on the ``*at`` system calls.

Where POSIX and wasmtime agree, so does ``path_open``: a directory asked
for with ``FD_WRITE`` is ``ISDIR`` (with ``OFLAGS_DIRECTORY`` too), and an
exclusive create on an existing name is ``EXIST`` even when the name is a
symlink that points out (it is never followed). A FIFO, socket or device in
a preopened directory is opened non-blocking and stays so (clearing
``NONBLOCK`` on it is ``NOTSUP``): a guest can never make the host thread
wait on one. ``fd_readdir`` gives ``..`` the directory's own inode, as
wasmtime does, so nothing of a preopen's host parent shows.
"""

from .abi import MODULE, Errno, FileType, Rights
from .cli import add_arguments, parse_dir, parse_env, run_cli, split_program_args
from .config import WasiConfig
from .context import WasiContext, define_wasi, host_functions
from .errors import ProcExit, WasiError, exit_code_of
from .run import imports_wasi, load_module, run_command, run_start

__all__ = [
    "MODULE", "Errno", "FileType", "ProcExit", "Rights", "WasiConfig", "WasiContext",
    "WasiError", "add_arguments", "define_wasi", "exit_code_of", "host_functions", "imports_wasi", "load_module",
    "parse_dir", "parse_env", "run_cli", "run_command", "run_start", "split_program_args",
]
