;; Call-heavy: three small, non-recursive calls per iteration (run -> step,
;; step -> square and mix), each doing one or two operations.
(module
  (func $square (param $x i32) (result i32)
    (i32.mul (local.get $x) (local.get $x)))

  (func $mix (param $a i32) (param $b i32) (result i32)
    (i32.add (i32.xor (local.get $a) (local.get $b)) (i32.const 0x9E37)))

  (func $step (param $acc i32) (param $i i32) (result i32)
    (call $mix
      (local.get $acc)
      (call $square (i32.and (local.get $i) (i32.const 1023)))))

  (func (export "run") (param $n i32) (result i32)
    (local $i i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (call $step (local.get $acc) (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
