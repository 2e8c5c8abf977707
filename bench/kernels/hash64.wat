;; i64 hash: the sum, modulo 2**64, of the SplitMix64 finaliser applied to
;; the counter 1..n. 64-bit multiplies, xors and unsigned shifts.
(module
  (func (export "run") (param $n i64) (result i64)
    (local $i i64)
    (local $z i64)
    (local $acc i64)
    (block $done
      (loop $next
        (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (local.set $z (i64.mul (local.get $i) (i64.const 0x9E3779B97F4A7C15)))
        (local.set $z
          (i64.mul
            (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 30)))
            (i64.const 0xBF58476D1CE4E5B9)))
        (local.set $z
          (i64.mul
            (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 27)))
            (i64.const 0x94D049BB133111EB)))
        (local.set $acc
          (i64.add
            (local.get $acc)
            (i64.xor (local.get $z) (i64.shr_u (local.get $z) (i64.const 31)))))
        (br $next)))
    (local.get $acc)))
