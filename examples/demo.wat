;; The module of the README's embedding examples (fuel, resumable calls,
;; limits, threads).
(module
  (import "env" "read" (func $read (param i32) (result i32)))
  (global $count (export "count") (mut i32) (i32.const 0))
  (memory (export "mem") 1)
  (func (export "spin")                       ;; never returns
    (loop $l
      (global.set $count (i32.add (global.get $count) (i32.const 1)))
      (br $l)))
  (func (export "sum2") (param i32) (result i32)   ;; read(x) + read(x + 1)
    (i32.add (call $read (local.get 0))
             (call $read (i32.add (local.get 0) (i32.const 1)))))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (local.get 0)
      (then (call $down (i32.sub (local.get 0) (i32.const 1))))
      (else (i32.const 0))))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
