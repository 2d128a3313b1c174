;; Noise texture's band loop (src/detect/noise-texture.ts): one band of tile rows high-passed (each pixel minus the
;; mean of its 5x5 neighbourhood, box sums sliding along the rows, then down the columns) and, per tile, the sums the
;; signal reads: display values, residual energy, and the lag-1 residual products along rows and down columns. The
;; same IEEE operations in the same order as the JavaScript loop it replaced, so the values are bit-identical
;; (test/texture-tiles.test.ts holds the kernel to that loop).
;; Built into src/detect/texture-tiles-wasm.ts by scripts/build-wasm.mjs.
(module
  (memory (export "memory") 1)

;; textureBand(width, tile, tiles, band, rowSums, residual, columns, out): band holds tile + 4 display rows (float32,
  ;; `width` a row; rows past the image's edge repeat its last row), the band's tile rows from its third row on.
  ;; rowSums, residual, columns: room for 6 x width, 2 x width and width doubles. Writes for each of the first `tiles`
  ;; tiles (columns 1 + t tile to 1 + (t + 1) tile) four doubles to out: sum of display values, residual energy, sum of
  ;; products with the right neighbour (within the tile), sum of products with the one below (within the tile).
  ;; One pass down the band: a row's box sums are made as the column sums reach it (a ring of six rows), its residual
  ;; row as the sums slide past it (a ring of two), and each tile's sums take a row as soon as the row below it is
  ;; known, so the working rows stay in cache on a full-field image; every sum adds the same terms in the same order.
  (func (export "textureBand")
    (param $width i32) (param $tile i32) (param $tiles i32) (param $band i32) (param $rowSums i32) (param $residual i32)
    (param $columns i32) (param $out i32)
    (local $s i32) (local $x i32) (local $r i32) (local $t i32) (local $at i32) (local $x0 i32) (local $x1 i32)
    (local $below i32) (local $current i32) (local $next i32) (local $adding i32) (local $dropping i32) (local $rowBytes i32)
    (local $sum f64) (local $v f64) (local $energy f64) (local $horizontal f64) (local $vertical f64) (local $pixelRow i32)
    (local.set $rowBytes (i32.shl (local.get $width) (i32.const 3)))
    ;; Box sums of band rows 0-4, and the column sums over them (row by row, as the loop this replaced added them).
    (block $firstDone
      (loop $first
        (br_if $firstDone (i32.ge_s (local.get $s) (i32.const 5)))
        (call $boxRow (local.get $band) (i32.mul (local.get $s) (local.get $width)) (local.get $width)
          (i32.add (local.get $rowSums) (i32.mul (local.get $s) (local.get $rowBytes))))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $first)))
    (local.set $x (i32.const 0))
    (block $clearDone
      (loop $clear
        (br_if $clearDone (i32.ge_s (local.get $x) (local.get $width)))
        (f64.store (i32.add (local.get $columns) (i32.shl (local.get $x) (i32.const 3))) (f64.const 0))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $clear)))
    (local.set $s (i32.const 0))
    (block $columnsDone
      (loop $columnsLoop
        (br_if $columnsDone (i32.ge_s (local.get $s) (i32.const 5)))
        (local.set $x (i32.const 0))
        (block $addDone
          (loop $add
            (br_if $addDone (i32.ge_s (local.get $x) (local.get $width)))
            (local.set $at (i32.add (local.get $columns) (i32.shl (local.get $x) (i32.const 3))))
            (f64.store (local.get $at) (f64.add (f64.load (local.get $at))
              (f64.load (i32.add (i32.add (local.get $rowSums) (i32.mul (local.get $s) (local.get $rowBytes))) (i32.shl (local.get $x) (i32.const 3))))))
            (local.set $x (i32.add (local.get $x) (i32.const 1)))
            (br $add)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        (br $columnsLoop)))
    ;; The tiles' sums start at 0.
    (local.set $t (i32.const 0))
    (block $zeroDone
      (loop $zero
        (br_if $zeroDone (i32.ge_s (local.get $t) (local.get $tiles)))
        (local.set $at (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 5))))
        (f64.store (local.get $at) (f64.const 0))
        (f64.store offset=8 (local.get $at) (f64.const 0))
        (f64.store offset=16 (local.get $at) (f64.const 0))
        (f64.store offset=24 (local.get $at) (f64.const 0))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $zero)))
    (call $residualRow (local.get $band) (i32.shl (local.get $width) (i32.const 1)) (local.get $width) (local.get $columns) (local.get $residual))
    (block $downDone
      (loop $down
        (br_if $downDone (i32.ge_s (local.get $r) (local.get $tile)))
        (local.set $below (i32.lt_s (i32.add (local.get $r) (i32.const 1)) (local.get $tile)))
        (local.set $current (i32.add (local.get $residual) (i32.mul (i32.and (local.get $r) (i32.const 1)) (local.get $rowBytes))))
        (local.set $next (i32.add (local.get $residual) (i32.mul (i32.and (i32.add (local.get $r) (i32.const 1)) (i32.const 1)) (local.get $rowBytes))))
        (if (local.get $below)
          (then
            ;; Slide the column sums down one row (band row r + 5 in, r out), then the residual of tile row r + 1.
            (local.set $adding (i32.add (local.get $rowSums) (i32.mul (i32.rem_u (i32.add (local.get $r) (i32.const 5)) (i32.const 6)) (local.get $rowBytes))))
            (local.set $dropping (i32.add (local.get $rowSums) (i32.mul (i32.rem_u (local.get $r) (i32.const 6)) (local.get $rowBytes))))
            (call $boxRow (local.get $band) (i32.mul (i32.add (local.get $r) (i32.const 5)) (local.get $width)) (local.get $width) (local.get $adding))
            (local.set $x (i32.const 0))
            (block $moveDone
              (loop $move
                (br_if $moveDone (i32.ge_s (local.get $x) (local.get $width)))
                (local.set $at (i32.add (local.get $columns) (i32.shl (local.get $x) (i32.const 3))))
                (f64.store (local.get $at) (f64.add (f64.load (local.get $at))
                  (f64.sub
                    (f64.load (i32.add (local.get $adding) (i32.shl (local.get $x) (i32.const 3))))
                    (f64.load (i32.add (local.get $dropping) (i32.shl (local.get $x) (i32.const 3)))))))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $move)))
            (call $residualRow (local.get $band) (i32.mul (i32.add (local.get $r) (i32.const 3)) (local.get $width)) (local.get $width)
              (local.get $columns) (local.get $next))))
        ;; Tile row r into every tile's sums, left to right; its pixels are band row r + 2's.
        (local.set $pixelRow (i32.add (local.get $band) (i32.shl (i32.mul (i32.add (local.get $r) (i32.const 2)) (local.get $width)) (i32.const 2))))
        (local.set $t (i32.const 0))
        (block $tilesDone
          (loop $tilesLoop
            (br_if $tilesDone (i32.ge_s (local.get $t) (local.get $tiles)))
            (local.set $x0 (i32.add (i32.const 1) (i32.mul (local.get $t) (local.get $tile))))
            (local.set $x1 (i32.add (local.get $x0) (local.get $tile)))
            (local.set $at (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 5))))
            (local.set $sum (f64.load (local.get $at)))
            (local.set $energy (f64.load offset=8 (local.get $at)))
            (local.set $horizontal (f64.load offset=16 (local.get $at)))
            (local.set $vertical (f64.load offset=24 (local.get $at)))
            (local.set $x (local.get $x0))
            (block $pixelsDone
              (loop $pixels
                (br_if $pixelsDone (i32.ge_s (local.get $x) (local.get $x1)))
                (local.set $v (f64.load (i32.add (local.get $current) (i32.shl (local.get $x) (i32.const 3)))))
                (local.set $sum (f64.add (local.get $sum)
                  (f64.promote_f32 (f32.load (i32.add (local.get $pixelRow) (i32.shl (local.get $x) (i32.const 2)))))))
                (local.set $energy (f64.add (local.get $energy) (f64.mul (local.get $v) (local.get $v))))
                (if (local.get $below)
                  (then
                    (local.set $vertical (f64.add (local.get $vertical) (f64.mul (local.get $v)
                      (f64.load (i32.add (local.get $next) (i32.shl (local.get $x) (i32.const 3)))))))))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $pixels)))
            (local.set $x (local.get $x0))
            (block $pairsDone
              (loop $pairs
                (br_if $pairsDone (i32.ge_s (i32.add (local.get $x) (i32.const 1)) (local.get $x1)))
                (local.set $s (i32.add (local.get $current) (i32.shl (local.get $x) (i32.const 3))))
                (local.set $horizontal (f64.add (local.get $horizontal) (f64.mul (f64.load (local.get $s)) (f64.load offset=8 (local.get $s)))))
                (local.set $x (i32.add (local.get $x) (i32.const 1)))
                (br $pairs)))
            (f64.store (local.get $at) (local.get $sum))
            (f64.store offset=8 (local.get $at) (local.get $energy))
            (f64.store offset=16 (local.get $at) (local.get $horizontal))
            (f64.store offset=24 (local.get $at) (local.get $vertical))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $tilesLoop)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $down))))

  ;; Box sums of the band row starting at pixel `row` into `dest` (width doubles): the window of 5 slides along the
  ;; row, clamped at its ends.
  (func $boxRow (param $band i32) (param $row i32) (param $width i32) (param $dest i32)
    (local $k i32) (local $x i32) (local $last i32) (local $sum f64) (local $base i32) (local $in i32) (local $out i32)
    (local.set $last (i32.sub (local.get $width) (i32.const 1)))
    (local.set $k (i32.const -2))
    (block $windowDone
      (loop $window
        (br_if $windowDone (i32.gt_s (local.get $k) (i32.const 2)))
        (local.set $sum (f64.add (local.get $sum) (call $pixel (local.get $band) (local.get $row) (call $clamp (local.get $k) (local.get $last)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $window)))
    ;; The slide's taps written out (a call per tap cost more than the work): x + 3 can only pass the end, x - 2 only
    ;; the start.
    (local.set $base (i32.add (local.get $band) (i32.shl (local.get $row) (i32.const 2))))
    (block $slideDone
      (loop $slide
        (br_if $slideDone (i32.ge_s (local.get $x) (local.get $width)))
        (f64.store (i32.add (local.get $dest) (i32.shl (local.get $x) (i32.const 3))) (local.get $sum))
        (local.set $in (i32.add (local.get $x) (i32.const 3)))
        (if (i32.gt_s (local.get $in) (local.get $last)) (then (local.set $in (local.get $last))))
        (local.set $out (i32.sub (local.get $x) (i32.const 2)))
        (if (i32.lt_s (local.get $out) (i32.const 0)) (then (local.set $out (i32.const 0))))
        (local.set $sum (f64.add (local.get $sum)
          (f64.sub
            (f64.promote_f32 (f32.load (i32.add (local.get $base) (i32.shl (local.get $in) (i32.const 2)))))
            (f64.promote_f32 (f32.load (i32.add (local.get $base) (i32.shl (local.get $out) (i32.const 2))))))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $slide))))

  ;; The residual of the band row starting at pixel `row` into `dest` (width doubles): pixel - column sum / 25.
  (func $residualRow (param $band i32) (param $row i32) (param $width i32) (param $columns i32) (param $dest i32)
    (local $x i32) (local $base i32)
    (local.set $base (i32.add (local.get $band) (i32.shl (local.get $row) (i32.const 2))))
    (block $done
      (loop $each
        (br_if $done (i32.ge_s (local.get $x) (local.get $width)))
        (f64.store (i32.add (local.get $dest) (i32.shl (local.get $x) (i32.const 3)))
          (f64.sub
            (f64.promote_f32 (f32.load (i32.add (local.get $base) (i32.shl (local.get $x) (i32.const 2)))))
            (f64.mul (f64.load (i32.add (local.get $columns) (i32.shl (local.get $x) (i32.const 3)))) (f64.const 0.04))))
        (local.set $x (i32.add (local.get $x) (i32.const 1)))
        (br $each))))

  ;; The band's display value at row offset `row` (in pixels), column x, as a double.
  (func $pixel (param $band i32) (param $row i32) (param $x i32) (result f64)
    (f64.promote_f32 (f32.load (i32.add (local.get $band) (i32.shl (i32.add (local.get $row) (local.get $x)) (i32.const 2))))))

  ;; x clamped to [0, last].
  (func $clamp (param $x i32) (param $last i32) (result i32)
    (select (i32.const 0) (select (local.get $last) (local.get $x) (i32.gt_s (local.get $x) (local.get $last))) (i32.lt_s (local.get $x) (i32.const 0)))))
