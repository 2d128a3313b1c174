;; The blend seam's ring sums (src/detect/blend-seam.ts): for each ring centre, each slot's (noise sum, sample count)
;; as the sum over the slot's runs of prefix[end] - prefix[start], on interleaved row prefix sums. The two sums of a
;; run are one f64x2: the same IEEE additions, in the same order, as the JavaScript loop it replaced, so the values
;; are bit-identical (test/ring-sums.test.ts holds it to that loop).
;; Built into src/detect/ring-sums-wasm.ts by scripts/build-wasm.mjs.
(module
  (memory (export "memory") 1)
  ;; ringSums(bases, n, lower, upper, slotEnd, slots, out): all arguments but n and slots are byte offsets into the
  ;; memory, the prefix rows at 0. bases[k]: centre k's pair in the prefix rows; lower[r] and upper[r]: run r's ends
  ;; relative to a centre, in pairs, runs grouped by slot; slotEnd[s + 1]: the end of slot s's runs. Writes per centre
  ;; `slots` (sum, count) pairs to out, centre after centre. A pair is 16 bytes.
  (func (export "ringSums")
    (param $bases i32) (param $n i32) (param $lower i32) (param $upper i32) (param $slotEnd i32) (param $slots i32)
    (param $out i32)
    (local $k i32) (local $b i32) (local $s i32) (local $r i32) (local $end i32) (local $acc v128)
    (block $centresDone
      (loop $centres
        (br_if $centresDone (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $b (i32.shl (i32.load (i32.add (local.get $bases) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 4)))
        (local.set $s (i32.const 0))
        (local.set $r (i32.const 0))
        (block $slotsDone
          (loop $slotLoop
            (br_if $slotsDone (i32.ge_u (local.get $s) (local.get $slots)))
            (local.set $end (i32.load (i32.add (local.get $slotEnd) (i32.shl (i32.add (local.get $s) (i32.const 1)) (i32.const 2)))))
            (local.set $acc (v128.const f64x2 0 0))
            (block $runsDone
              (loop $runs
                (br_if $runsDone (i32.ge_u (local.get $r) (local.get $end)))
                (local.set $acc
                  (f64x2.add (local.get $acc)
                    (f64x2.sub
                      (v128.load align=8 (i32.add (local.get $b) (i32.shl (i32.load (i32.add (local.get $upper) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 4))))
                      (v128.load align=8 (i32.add (local.get $b) (i32.shl (i32.load (i32.add (local.get $lower) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 4)))))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $runs)))
            (v128.store align=8 (local.get $out) (local.get $acc))
            (local.set $out (i32.add (local.get $out) (i32.const 16)))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $slotLoop)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $centres)))))
