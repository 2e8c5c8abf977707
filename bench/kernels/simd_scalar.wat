;; The scalar twin of simd.wat: the same dot products, one i32 at a time.
(module
  (memory 1)

  (func $fill (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store (i32.shl (local.get $i) (i32.const 2))
          (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 3)))
        (i32.store offset=32768 (i32.shl (local.get $i) (i32.const 2))
          (i32.add (i32.mul (local.get $i) (i32.const 13)) (i32.const 5)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func $dot (param $n i32) (result i32)
    (local $p i32) (local $end i32) (local $acc i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $acc
          (i32.add (local.get $acc)
            (i32.mul (i32.load (local.get $p)) (i32.load offset=32768 (local.get $p)))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (br $next)))
    (local.get $acc))

  (func (export "run") (param $n i32) (param $reps i32) (result i32)
    (local $total i32)
    (call $fill (local.get $n))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $reps)))
        (local.set $total (i32.add (local.get $total) (call $dot (local.get $n))))
        (local.set $reps (i32.sub (local.get $reps) (i32.const 1)))
        (br $next)))
    (local.get $total)))
