;; f64 numerics: the midpoint rule for the integral of 4 / (1 + x*x) over
;; [0, 1] with n strips (which tends to pi). The operations and their order
;; match the Python twin, so the results agree to the bit.
(module
  (func (export "run") (param $n i32) (result f64)
    (local $i i32)
    (local $h f64)
    (local $x f64)
    (local $sum f64)
    (local.set $h (f64.div (f64.const 1) (f64.convert_i32_u (local.get $n))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x
          (f64.mul
            (f64.add (f64.convert_i32_u (local.get $i)) (f64.const 0.5))
            (local.get $h)))
        (local.set $sum
          (f64.add
            (local.get $sum)
            (f64.div
              (f64.const 4)
              (f64.add (f64.const 1) (f64.mul (local.get $x) (local.get $x))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (f64.mul (local.get $sum) (local.get $h))))
