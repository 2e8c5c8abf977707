;; A memory scan: fill n bytes of linear memory with a pattern, then take
;; their Adler-32 checksum. Byte stores and loads, remainders.
(module
  (memory (export "memory") 16)

  (func $fill (param $n i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        ;; store8 keeps the low byte, which is the pattern's "& 0xFF"
        (i32.store8
          (local.get $i)
          (i32.add
            (i32.mul (local.get $i) (i32.const 31))
            (i32.shr_u (local.get $i) (i32.const 7))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))

  (func $adler32 (param $n i32) (result i32)
    (local $i i32)
    (local $a i32)
    (local $b i32)
    (local.set $a (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a
          (i32.rem_u
            (i32.add (local.get $a) (i32.load8_u (local.get $i)))
            (i32.const 65521)))
        (local.set $b
          (i32.rem_u (i32.add (local.get $b) (local.get $a)) (i32.const 65521)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.or (i32.shl (local.get $b) (i32.const 16)) (local.get $a)))

  (func (export "run") (param $n i32) (result i32)
    (call $fill (local.get $n))
    (call $adler32 (local.get $n))))
