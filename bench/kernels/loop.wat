;; A counting loop: the sum of the integers below n that are multiples of
;; 3 or 5, wrapping at 32 bits. Locals, compares, remainders and a back edge.
(module
  (func (export "run") (param $n i32) (result i32)
    (local $i i32)
    (local $total i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (if (i32.or
              (i32.eqz (i32.rem_u (local.get $i) (i32.const 3)))
              (i32.eqz (i32.rem_u (local.get $i) (i32.const 5))))
          (then (local.set $total (i32.add (local.get $total) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (local.get $total)))
