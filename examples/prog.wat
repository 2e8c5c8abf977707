;; The README's WASI command: prints its arguments (argv[1:]), one per
;; line, and exits with their number.
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  ;; 0: argc, 4: size of the argument strings, 16: two iovecs, 32: bytes
  ;; written, 64: a newline, 1024: argv pointers, 4096: argument strings
  (memory (export "memory") 1)
  (data (i32.const 64) "\n")
  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))
  (func (export "_start")
    (local $i i32) (local $arg i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (if (i32.gt_u (i32.load (i32.const 0)) (i32.const 768)) (then (call $proc_exit (i32.const 255))))
    (if (i32.gt_u (i32.load (i32.const 4)) (i32.const 61440)) (then (call $proc_exit (i32.const 255))))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (local.set $i (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.load (i32.const 0))))
        (local.set $arg (i32.load (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 2)))))
        (i32.store (i32.const 16) (local.get $arg))
        (i32.store (i32.const 20) (call $strlen (local.get $arg)))
        (i32.store (i32.const 24) (i32.const 64))
        (i32.store (i32.const 28) (i32.const 1))
        (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 2) (i32.const 32)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $proc_exit (i32.sub (i32.load (i32.const 0)) (i32.const 1)))))
