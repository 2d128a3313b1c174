;; The blend seam's sampling (src/detect/seam-samples.ts): the 3x3 noise residual of every step-th pixel of a row, its
;; intensity bin and its cell; the radix pass that finds each bin's median; each cell's sum of relative noise. They
;; were most of the seam's cost in JavaScript once the rings ran here. The same IEEE operations in the same order as
;; the JavaScript they replaced, so the values are bit-identical (test/seam-samples.test.ts holds the kernel to it).
;; Built into src/detect/seam-samples-wasm.ts by scripts/build-wasm.mjs.
(module
  (memory (export "memory") 1)

  ;; 1 when the three taps all lie strictly inside (0, 1): a clipped tap measures an edge of the background or of a
  ;; saturated label, not noise.
  (func $inside (param $p f32) (param $q f32) (param $r f32) (result i32)
    (i32.and
      (i32.and
        (i32.and (f32.gt (local.get $p) (f32.const 0)) (f32.lt (local.get $p) (f32.const 1)))
        (i32.and (f32.gt (local.get $q) (f32.const 0)) (f32.lt (local.get $q) (f32.const 1))))
      (i32.and (f32.gt (local.get $r) (f32.const 0)) (f32.lt (local.get $r) (f32.const 1)))))

  ;; One sampled row: x = 1, 1 + step, ... below xEnd, the row's pixels at $mid and its neighbours' at $up and $down
  ;; (float32 rows from x = 0). A pixel off the breast ($maskRow >= 0: the mask row's bytes, and $maskColumn's int32
  ;; per x its column there) or with a clipped tap is skipped. Each sample appends |residual| (float32) at $size, its
  ;; bin (byte) at $bin and its cell (int32, $cellRow + x / cell) at $where, and counts itself in $perBin (int32 per
  ;; bin). Returns the samples taken so far ($n on entry). With step 1 the window slides: each pixel loads one new
  ;; column (and judges its clipping), as the JavaScript did.
  (func (export "sampleRow") (param $up i32) (param $mid i32) (param $down i32) (param $xEnd i32) (param $step i32)
        (param $cell i32) (param $cellRow i32) (param $maskRow i32) (param $maskColumn i32) (param $size i32)
        (param $bin i32) (param $where i32) (param $perBin i32) (param $n i32) (result i32)
    (local $x i32) (local $o i32) (local $k i32) (local $at i32) (local $cx i32) (local $cellEnd i32)
    (local $leftOk i32) (local $midOk i32) (local $rightOk i32)
    (local $fa f32) (local $fb f32) (local $fc f32) (local $fd f32) (local $fe f32) (local $ff f32) (local $fg f32)
    (local $fh f32) (local $fi f32)
    (local $a f64) (local $b f64) (local $c f64) (local $d f64) (local $e f64) (local $f f64) (local $g f64)
    (local $h f64) (local $i f64)
    (local.set $x (i32.const 1))
    (local.set $at (i32.const -2))
    ;; x's cell, x / cell, kept as x advances (a division per pixel cost more than the residual).
    (local.set $cx (i32.const 0))
    (local.set $cellEnd (local.get $cell))
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $x) (local.get $xEnd)))
        (block $skip
          (if (i32.ge_s (local.get $maskRow) (i32.const 0))
            (then
              (br_if $skip (i32.ne
                (i32.load8_u (i32.add (local.get $maskRow)
                  (i32.load (i32.add (local.get $maskColumn) (i32.shl (local.get $x) (i32.const 2))))))
                (i32.const 1)))))
          (local.set $o (i32.shl (local.get $x) (i32.const 2)))
          ;; a b c / d e f / g h i: the 3x3 window centred on x.
          (if (i32.eq (local.get $at) (i32.sub (local.get $x) (i32.const 1)))
            (then
              (local.set $fa (local.get $fb)) (local.set $fb (local.get $fc))
              (local.set $fd (local.get $fe)) (local.set $fe (local.get $ff))
              (local.set $fg (local.get $fh)) (local.set $fh (local.get $fi))
              (local.set $leftOk (local.get $midOk))
              (local.set $midOk (local.get $rightOk)))
            (else
              (local.set $fa (f32.load (i32.sub (i32.add (local.get $up) (local.get $o)) (i32.const 4))))
              (local.set $fb (f32.load (i32.add (local.get $up) (local.get $o))))
              (local.set $fd (f32.load (i32.sub (i32.add (local.get $mid) (local.get $o)) (i32.const 4))))
              (local.set $fe (f32.load (i32.add (local.get $mid) (local.get $o))))
              (local.set $fg (f32.load (i32.sub (i32.add (local.get $down) (local.get $o)) (i32.const 4))))
              (local.set $fh (f32.load (i32.add (local.get $down) (local.get $o))))
              (local.set $leftOk (call $inside (local.get $fa) (local.get $fd) (local.get $fg)))
              (local.set $midOk (call $inside (local.get $fb) (local.get $fe) (local.get $fh)))))
          (local.set $fc (f32.load (i32.add (i32.add (local.get $up) (local.get $o)) (i32.const 4))))
          (local.set $ff (f32.load (i32.add (i32.add (local.get $mid) (local.get $o)) (i32.const 4))))
          (local.set $fi (f32.load (i32.add (i32.add (local.get $down) (local.get $o)) (i32.const 4))))
          (local.set $rightOk (call $inside (local.get $fc) (local.get $ff) (local.get $fi)))
          (local.set $at (local.get $x))
          (br_if $skip (i32.eqz (i32.and (i32.and (local.get $leftOk) (local.get $midOk)) (local.get $rightOk))))
          (local.set $a (f64.promote_f32 (local.get $fa)))
          (local.set $b (f64.promote_f32 (local.get $fb)))
          (local.set $c (f64.promote_f32 (local.get $fc)))
          (local.set $d (f64.promote_f32 (local.get $fd)))
          (local.set $e (f64.promote_f32 (local.get $fe)))
          (local.set $f (f64.promote_f32 (local.get $ff)))
          (local.set $g (f64.promote_f32 (local.get $fg)))
          (local.set $h (f64.promote_f32 (local.get $fh)))
          (local.set $i (f64.promote_f32 (local.get $fi)))
          ;; bin: min(63, floor((a + b + ... + i) / 9 * 64)), the sum from left to right.
          (local.set $k (i32.trunc_f64_s (f64.floor (f64.mul
            (f64.div
              (f64.add (f64.add (f64.add (f64.add (f64.add (f64.add (f64.add (f64.add
                (local.get $a) (local.get $b)) (local.get $c)) (local.get $d)) (local.get $e)) (local.get $f))
                (local.get $g)) (local.get $h)) (local.get $i))
              (f64.const 9))
            (f64.const 64)))))
          (if (i32.gt_s (local.get $k) (i32.const 63)) (then (local.set $k (i32.const 63))))
          ;; |a + c + g + i - 2 (b + d + f + h) + 4 e|, rounded to float32 as the Float32Array it replaced.
          (f32.store (i32.add (local.get $size) (i32.shl (local.get $n) (i32.const 2)))
            (f32.demote_f64 (f64.abs (f64.add
              (f64.sub
                (f64.add (f64.add (f64.add (local.get $a) (local.get $c)) (local.get $g)) (local.get $i))
                (f64.mul (f64.const 2)
                  (f64.add (f64.add (f64.add (local.get $b) (local.get $d)) (local.get $f)) (local.get $h))))
              (f64.mul (f64.const 4) (local.get $e))))))
          (i32.store8 (i32.add (local.get $bin) (local.get $n)) (local.get $k))
          (block $found
            (loop $advance
              (br_if $found (i32.lt_s (local.get $x) (local.get $cellEnd)))
              (local.set $cx (i32.add (local.get $cx) (i32.const 1)))
              (local.set $cellEnd (i32.add (local.get $cellEnd) (local.get $cell)))
              (br $advance)))
          (i32.store (i32.add (local.get $where) (i32.shl (local.get $n) (i32.const 2)))
            (i32.add (local.get $cellRow) (local.get $cx)))
          (i32.store (i32.add (local.get $perBin) (i32.shl (local.get $k) (i32.const 2)))
            (i32.add (i32.load (i32.add (local.get $perBin) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 1)))
          (local.set $n (i32.add (local.get $n) (i32.const 1))))
        (local.set $x (i32.add (local.get $x) (local.get $step)))
        (br $next)))
    (local.get $n))

  ;; One radix pass over the n samples: a sample whose bits above $above equal its bin's prefix so far (int32 per bin
  ;; at $prefix; -1 for a bin not searched; on the first pass, $above = 32, prefix 0) is counted under its bin and the
  ;; digit (key >>> shift) & mask, at $counts as int32 [bin << 11 | digit].
  (func (export "digitCounts") (param $size i32) (param $bin i32) (param $n i32) (param $prefix i32) (param $above i32)
        (param $shift i32) (param $mask i32) (param $counts i32)
    (local $k i32) (local $b i32) (local $key i32) (local $p i32) (local $slot i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $k) (local.get $n)))
        (block $skip
          (local.set $b (i32.load8_u (i32.add (local.get $bin) (local.get $k))))
          (local.set $key (i32.load (i32.add (local.get $size) (i32.shl (local.get $k) (i32.const 2)))))
          (local.set $p (i32.load (i32.add (local.get $prefix) (i32.shl (local.get $b) (i32.const 2)))))
          (if (i32.lt_s (local.get $above) (i32.const 32))
            (then (br_if $skip (i32.ne (i32.shr_u (local.get $key) (local.get $above)) (local.get $p))))
            (else (br_if $skip (i32.ne (local.get $p) (i32.const 0)))))
          (local.set $slot (i32.add (local.get $counts) (i32.shl
            (i32.or (i32.shl (local.get $b) (i32.const 11)) (i32.and (i32.shr_u (local.get $key) (local.get $shift)) (local.get $mask)))
            (i32.const 2))))
          (i32.store (local.get $slot) (i32.add (i32.load (local.get $slot)) (i32.const 1))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next))))

  ;; Each sample's relative noise, min(cap, size / expected[bin]) (expected: float64 per bin), added to its cell's sum
  ;; (float64 at $e) and 1 to its count (float64 at $c), sample after sample.
  (func (export "cellSums") (param $size i32) (param $bin i32) (param $where i32) (param $n i32) (param $expected i32)
        (param $cap f64) (param $e i32) (param $c i32)
    (local $k i32) (local $at i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_s (local.get $k) (local.get $n)))
        (local.set $at (i32.shl (i32.load (i32.add (local.get $where) (i32.shl (local.get $k) (i32.const 2)))) (i32.const 3)))
        (f64.store (i32.add (local.get $e) (local.get $at))
          (f64.add (f64.load (i32.add (local.get $e) (local.get $at)))
            (f64.min (local.get $cap)
              (f64.div
                (f64.promote_f32 (f32.load (i32.add (local.get $size) (i32.shl (local.get $k) (i32.const 2)))))
                (f64.load (i32.add (local.get $expected)
                  (i32.shl (i32.load8_u (i32.add (local.get $bin) (local.get $k))) (i32.const 3))))))))
        (f64.store (i32.add (local.get $c) (local.get $at))
          (f64.add (f64.load (i32.add (local.get $c) (local.get $at))) (f64.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next))))
)
