;; Noise consistency's tile loop (src/detect/noise-consistency.ts): for each tile of one row of tiles, the mean display
;; level of its unclipped pixels and the mean of the smallest quarter of its |residual| values. The residual, the
;; selection (the same Hoare selection as quickSelect in noise-tiles.ts, so the same order afterwards) and the sums
;; are the same IEEE operations in the same order as the JavaScript loop they replaced, so the values are
;; bit-identical (test/tile-noise.test.ts holds the kernel to that loop).
;; Built into src/detect/tile-noise-wasm.ts by scripts/build-wasm.mjs.
(module
  (memory (export "memory") 1)

  ;; display[p] (float32 at byte offset p) is clipped: at or beyond either end of the display range.
  (func $clipped (param $p i32) (result i32)
    (local $v f32)
    (local.set $v (f32.load (local.get $p)))
    (i32.or (f32.le (local.get $v) (f32.const 0)) (f32.ge (local.get $v) (f32.const 1))))

  ;; display[p - 8] - 2 display[p] + display[p + 8] (two pixels either side), in doubles.
  (func $second (param $p i32) (result f64)
    (f64.add
      (f64.sub (f64.promote_f32 (f32.load (i32.sub (local.get $p) (i32.const 8))))
               (f64.mul (f64.const 2) (f64.promote_f32 (f32.load (local.get $p)))))
      (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.const 8))))))

  ;; The k-th smallest of the n float32 values at $at (Hoare selection in place, pivot in the middle).
  (func $select (param $at i32) (param $n i32) (param $k i32) (result f32)
    (local $left i32) (local $right i32) (local $i i32) (local $j i32) (local $pivot f32) (local $t f32)
    (local.set $right (i32.sub (local.get $n) (i32.const 1)))
    (block $done
      (loop $narrow
        (br_if $done (i32.ge_s (local.get $left) (local.get $right)))
        (local.set $pivot (f32.load (i32.add (local.get $at)
          (i32.shl (i32.shr_s (i32.add (local.get $left) (local.get $right)) (i32.const 1)) (i32.const 2)))))
        (local.set $i (local.get $left))
        (local.set $j (local.get $right))
        (block $partitioned
          (loop $partition
            (br_if $partitioned (i32.gt_s (local.get $i) (local.get $j)))
            (block $up
              (loop $scanUp
                (br_if $up (i32.eqz (f32.lt (f32.load (i32.add (local.get $at) (i32.shl (local.get $i) (i32.const 2)))) (local.get $pivot))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $scanUp)))
            (block $down
              (loop $scanDown
                (br_if $down (i32.eqz (f32.gt (f32.load (i32.add (local.get $at) (i32.shl (local.get $j) (i32.const 2)))) (local.get $pivot))))
                (local.set $j (i32.sub (local.get $j) (i32.const 1)))
                (br $scanDown)))
            (if (i32.le_s (local.get $i) (local.get $j))
              (then
                (local.set $t (f32.load (i32.add (local.get $at) (i32.shl (local.get $i) (i32.const 2)))))
                (f32.store (i32.add (local.get $at) (i32.shl (local.get $i) (i32.const 2)))
                  (f32.load (i32.add (local.get $at) (i32.shl (local.get $j) (i32.const 2)))))
                (f32.store (i32.add (local.get $at) (i32.shl (local.get $j) (i32.const 2))) (local.get $t))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $j (i32.sub (local.get $j) (i32.const 1)))))
            (br $partition)))
        (if (i32.le_s (local.get $k) (local.get $j))
          (then (local.set $right (local.get $j)))
          (else
            (br_if $done (i32.lt_s (local.get $k) (local.get $i)))
            (local.set $left (local.get $i))))
        (br $narrow)))
    (f32.load (i32.add (local.get $at) (i32.shl (local.get $k) (i32.const 2)))))

  ;; Whether band row $y is a centre row: ya <= y < yb and a whole number of strides from ya.
  (func $sampled (param $y i32) (param $ya i32) (param $yb i32) (param $stride i32) (result i32)
    (i32.and
      (i32.and (i32.ge_s (local.get $y) (local.get $ya)) (i32.lt_s (local.get $y) (local.get $yb)))
      (i32.eqz (i32.rem_s (i32.sub (local.get $y) (local.get $ya)) (local.get $stride)))))

  ;; The first and end column of tile $tx: max(2, 1 + tx tile) and min(width - 2, 1 + (tx + 1) tile).
  (func $tileFirst (param $tx i32) (param $tile i32) (result i32)
    (local $x i32)
    (local.set $x (i32.add (i32.const 1) (i32.mul (local.get $tx) (local.get $tile))))
    (select (i32.const 2) (local.get $x) (i32.lt_s (local.get $x) (i32.const 2))))
  (func $tileEnd (param $tx i32) (param $tile i32) (param $width i32) (result i32)
    (local $x i32)
    (local.set $x (i32.add (i32.const 1) (i32.mul (i32.add (local.get $tx) (i32.const 1)) (local.get $tile))))
    (select (i32.sub (local.get $width) (i32.const 2)) (local.get $x) (i32.gt_s (local.get $x) (i32.sub (local.get $width) (i32.const 2)))))

  ;; tileRow(width, ya, yb, mapWidth, tile, stride, levelMin, levelMax, scratch, records, seconds, flags): one row of tiles over a band
  ;; of display rows (float32, `width` a row) at byte 0. Centre rows ya <= y < yb (band rows; y - 2 and y + 2 must lie in
  ;; the band), every stride-th row and column; tile tx covers columns max(2, 1 + tx tile) to min(width - 2,
  ;; 1 + (tx + 1) tile). scratch: room for a tile's residuals. Writes per tile two doubles to records: the mean level
  ;; of its unclipped pixels, and its noise (the mean of the smallest quarter of its |residual| values, ties at the
  ;; cut included) or NaN when it has fewer than 64 residuals, fewer than half its pixels give one, or its mean level
  ;; lies outside [levelMin, levelMax]. seconds, flags: room for a double and a byte per band pixel. A residual's
  ;; three second differences along x and whether one of their taps is clipped are found once per band row (rows y - 2,
  ;; y and y + 2 serve three centre rows when the stride is 1 or 2), at the columns the tiles read, then combined.
  (func (export "tileRow")
    (param $width i32) (param $ya i32) (param $yb i32) (param $mapWidth i32) (param $tile i32) (param $stride i32)
    (param $levelMin f64) (param $levelMax f64) (param $scratch i32) (param $records i32) (param $seconds i32) (param $flags i32)
    (local $tx i32) (local $xa i32) (local $xb i32) (local $x i32) (local $y i32) (local $p i32) (local $up i32)
    (local $n i32) (local $seen i32) (local $inside i32) (local $sum f64) (local $centre f32) (local $residual f64)
    (local $mean f64) (local $last i32) (local $cut f32) (local $k i32) (local $v f32) (local $total f64) (local $kept i32)
    (local $q i32) (local $rows i32)
    ;; Band rows y - 2 .. y + 2 of every centre row y: each row's second differences and clipped-tap flags, once.
    (local.set $y (i32.sub (local.get $ya) (i32.const 2)))
    (local.set $rows (i32.add (local.get $yb) (i32.const 2)))
    (block $bandDone
      (loop $band
        (br_if $bandDone (i32.ge_s (local.get $y) (local.get $rows)))
        (if (i32.or (call $sampled (local.get $y) (local.get $ya) (local.get $yb) (local.get $stride))
              (i32.or (call $sampled (i32.add (local.get $y) (i32.const 2)) (local.get $ya) (local.get $yb) (local.get $stride))
                      (call $sampled (i32.sub (local.get $y) (i32.const 2)) (local.get $ya) (local.get $yb) (local.get $stride))))
          (then
            (local.set $tx (i32.const 0))
            (block $cacheTilesDone
              (loop $cacheTiles
                (br_if $cacheTilesDone (i32.ge_s (local.get $tx) (local.get $mapWidth)))
                (local.set $x (call $tileFirst (local.get $tx) (local.get $tile)))
                (local.set $xb (call $tileEnd (local.get $tx) (local.get $tile) (local.get $width)))
                (block $cacheColumnsDone
                  (loop $cacheColumns
                    (br_if $cacheColumnsDone (i32.ge_s (local.get $x) (local.get $xb)))
                    (local.set $q (i32.add (i32.mul (local.get $y) (local.get $width)) (local.get $x)))
                    (local.set $p (i32.shl (local.get $q) (i32.const 2)))
                    (f64.store (i32.add (local.get $seconds) (i32.shl (local.get $q) (i32.const 3))) (call $second (local.get $p)))
                    (i32.store8 (i32.add (local.get $flags) (local.get $q))
                      (i32.or (call $clipped (i32.sub (local.get $p) (i32.const 8)))
                        (i32.or (call $clipped (local.get $p)) (call $clipped (i32.add (local.get $p) (i32.const 8))))))
                    (local.set $x (i32.add (local.get $x) (local.get $stride)))
                    (br $cacheColumns)))
                (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
                (br $cacheTiles)))))
        (local.set $y (i32.add (local.get $y) (i32.const 1)))
        (br $band)))
    (local.set $tx (i32.const 0))
    ;; Two rows, in elements.
    (local.set $up (i32.shl (local.get $width) (i32.const 1)))
    (block $tilesDone
      (loop $tiles
        (br_if $tilesDone (i32.ge_s (local.get $tx) (local.get $mapWidth)))
        (local.set $xa (call $tileFirst (local.get $tx) (local.get $tile)))
        (local.set $xb (call $tileEnd (local.get $tx) (local.get $tile) (local.get $width)))
        (local.set $n (i32.const 0))
        (local.set $seen (i32.const 0))
        (local.set $inside (i32.const 0))
        (local.set $sum (f64.const 0))
        (local.set $y (local.get $ya))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_s (local.get $y) (local.get $yb)))
            (local.set $x (local.get $xa))
            (block $columnsDone
              (loop $columns
                (br_if $columnsDone (i32.ge_s (local.get $x) (local.get $xb)))
                (local.set $q (i32.add (i32.mul (local.get $y) (local.get $width)) (local.get $x)))
                (local.set $centre (f32.load (i32.shl (local.get $q) (i32.const 2))))
                (local.set $seen (i32.add (local.get $seen) (i32.const 1)))
                (block $next
                  (br_if $next (i32.or (f32.le (local.get $centre) (f32.const 0)) (f32.ge (local.get $centre) (f32.const 1))))
                  (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (local.get $centre))))
                  (local.set $inside (i32.add (local.get $inside) (i32.const 1)))
                  ;; A clipped tap: that residual would measure the edge of the background, not noise.
                  (br_if $next (i32.or
                    (i32.load8_u (i32.add (local.get $flags) (i32.sub (local.get $q) (local.get $up))))
                    (i32.or (i32.load8_u (i32.add (local.get $flags) (local.get $q)))
                            (i32.load8_u (i32.add (local.get $flags) (i32.add (local.get $q) (local.get $up)))))))
                  (local.set $residual
                    (f64.add
                      (f64.sub (f64.load (i32.add (local.get $seconds) (i32.shl (i32.sub (local.get $q) (local.get $up)) (i32.const 3))))
                               (f64.mul (f64.const 2) (f64.load (i32.add (local.get $seconds) (i32.shl (local.get $q) (i32.const 3))))))
                      (f64.load (i32.add (local.get $seconds) (i32.shl (i32.add (local.get $q) (local.get $up)) (i32.const 3))))))
                  (br_if $next (f64.ne (local.get $residual) (local.get $residual)))
                  (f32.store (i32.add (local.get $scratch) (i32.shl (local.get $n) (i32.const 2)))
                    (f32.demote_f64 (f64.abs (local.get $residual))))
                  (local.set $n (i32.add (local.get $n) (i32.const 1))))
                (local.set $x (i32.add (local.get $x) (local.get $stride)))
                (br $columns)))
            (local.set $y (i32.add (local.get $y) (local.get $stride)))
            (br $rows)))
        (local.set $mean (f64.div (local.get $sum) (f64.convert_i32_s (local.get $inside))))
        (f64.store (local.get $records) (local.get $mean))
        (if (i32.or
              (i32.or (i32.lt_s (local.get $n) (i32.const 64)) (i32.lt_s (i32.shl (local.get $n) (i32.const 1)) (local.get $seen)))
              (i32.or (f64.lt (local.get $mean) (local.get $levelMin)) (f64.gt (local.get $mean) (local.get $levelMax))))
          (then (f64.store offset=8 (local.get $records) (f64.const nan)))
          (else
            (local.set $last (i32.shr_s (local.get $n) (i32.const 2)))
            (local.set $cut (call $select (local.get $scratch) (local.get $n) (local.get $last)))
            ;; Selection left every value up to `last` at most `cut`: only those after it need a look (ties count).
            (local.set $kept (i32.add (local.get $last) (i32.const 1)))
            (local.set $total (f64.const 0))
            (local.set $k (i32.const 0))
            (block $lowDone
              (loop $low
                (br_if $lowDone (i32.gt_s (local.get $k) (local.get $last)))
                (local.set $total (f64.add (local.get $total)
                  (f64.promote_f32 (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $k) (i32.const 2)))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $low)))
            (block $highDone
              (loop $high
                (br_if $highDone (i32.ge_s (local.get $k) (local.get $n)))
                (local.set $v (f32.load (i32.add (local.get $scratch) (i32.shl (local.get $k) (i32.const 2)))))
                (if (f32.le (local.get $v) (local.get $cut))
                  (then
                    (local.set $total (f64.add (local.get $total) (f64.promote_f32 (local.get $v))))
                    (local.set $kept (i32.add (local.get $kept) (i32.const 1)))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $high)))
            (f64.store offset=8 (local.get $records) (f64.div (local.get $total) (f64.convert_i32_s (local.get $kept))))))
        (local.set $records (i32.add (local.get $records) (i32.const 16)))
        (local.set $tx (i32.add (local.get $tx) (i32.const 1)))
        (br $tiles)))))
