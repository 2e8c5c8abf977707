;; The module of the README's first example: add(a, b) reports its sum to
;; the host function env.log, then returns it.
(module
  (import "env" "log" (func $log (param i32)))
  (func (export "add") (param i32 i32) (result i32)
    (local $sum i32)
    (local.set $sum (i32.add (local.get 0) (local.get 1)))
    (call $log (local.get $sum))
    (local.get $sum)))
