;; GC: build a complete binary tree of structs, count its nodes by walking it,
;; and drop it; repeated. Allocation, struct.get, null tests and recursion.
(module
  (type $node (struct (field (ref null $node)) (field (ref null $node))))

  (func $make (param $d i32) (result (ref $node))
    (if (result (ref $node)) (i32.eqz (local.get $d))
      (then (struct.new $node (ref.null $node) (ref.null $node)))
      (else
        (struct.new $node
          (call $make (i32.sub (local.get $d) (i32.const 1)))
          (call $make (i32.sub (local.get $d) (i32.const 1)))))))

  (func $count (param $t (ref $node)) (result i32)
    (local $l (ref null $node))
    (local.set $l (struct.get $node 0 (local.get $t)))
    (if (result i32) (ref.is_null (local.get $l))
      (then (i32.const 1))
      (else
        (i32.add (i32.const 1)
          (i32.add (call $count (ref.as_non_null (local.get $l)))
                   (call $count (ref.as_non_null (struct.get $node 1 (local.get $t)))))))))

  (func (export "run") (param $depth i32) (param $iters i32) (result i32)
    (local $total i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $iters)))
        (local.set $total (i32.add (local.get $total) (call $count (call $make (local.get $depth)))))
        (local.set $iters (i32.sub (local.get $iters) (i32.const 1)))
        (br $next)))
    (local.get $total)))
