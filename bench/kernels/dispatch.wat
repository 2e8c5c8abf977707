;; br_table dispatch: a tiny bytecode interpreter. The program sits in a data
;; segment, two bytes (opcode, argument) per instruction:
;;   0 HALT        return acc          4 XORC     acc ^= cnt
;;   1 LOADN       cnt = n             5 ROTL k   acc = rotl(acc, k)
;;   2 ADDI k      acc += k            6 DEC      cnt -= 1
;;   3 MULI k      acc *= k            7 JNZ t    if cnt != 0: pc = t
;; Opcodes outside 0..7 halt. The program loops n times (n >= 1) over
;; ADDI 7; XORC; MULI 31; ROTL 5; DEC; JNZ 1, six dispatches per round.
(module
  (memory 1)
  (data (i32.const 0)
    "\01\00"  ;; 0: LOADN
    "\02\07"  ;; 1: ADDI 7
    "\04\00"  ;; 2: XORC
    "\03\1f"  ;; 3: MULI 31
    "\05\05"  ;; 4: ROTL 5
    "\06\00"  ;; 5: DEC
    "\07\01"  ;; 6: JNZ 1
    "\00\00") ;; 7: HALT

  (func (export "run") (param $n i32) (result i32)
    (local $pc i32)
    (local $addr i32)
    (local $arg i32)
    (local $acc i32)
    (local $cnt i32)
    (loop $fetch
      (local.set $addr (i32.shl (local.get $pc) (i32.const 1)))
      (local.set $arg (i32.load8_u offset=1 (local.get $addr)))
      (local.set $pc (i32.add (local.get $pc) (i32.const 1)))
      (block $jnz
        (block $dec
          (block $rotl
            (block $xorc
              (block $muli
                (block $addi
                  (block $loadn
                    (block $halt
                      (br_table $halt $loadn $addi $muli $xorc $rotl $dec $jnz $halt
                        (i32.load8_u (local.get $addr))))
                    (return (local.get $acc)))
                  (local.set $cnt (local.get $n))
                  (br $fetch))
                (local.set $acc (i32.add (local.get $acc) (local.get $arg)))
                (br $fetch))
              (local.set $acc (i32.mul (local.get $acc) (local.get $arg)))
              (br $fetch))
            (local.set $acc (i32.xor (local.get $acc) (local.get $cnt)))
            (br $fetch))
          (local.set $acc (i32.rotl (local.get $acc) (local.get $arg)))
          (br $fetch))
        (local.set $cnt (i32.sub (local.get $cnt) (i32.const 1)))
        (br $fetch))
      (if (local.get $cnt)
        (then (local.set $pc (local.get $arg))))
      (br $fetch))
    (unreachable)))
