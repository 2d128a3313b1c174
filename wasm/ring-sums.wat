;; The blend seam's ring sums (src/detect/blend-seam.ts): for each ring centre, each slot's (noise sum, sample count)
;; as the sum over the slot's runs of prefix[end] - prefix[start], on interleaved row prefix sums. The two sums of a
;; run are one f64x2: the same IEEE additions, in the same order, as the JavaScript loop it replaced, so the values
;; are bit-identical (test/ring-sums.test.ts holds it to that loop). Then each ring judged from those sums, as the
;; JavaScript judged it (which sectors count, and which one is the statistic; the logs stay in JavaScript).
;; Built into src/detect/ring-sums-wasm.ts by scripts/build-wasm.mjs.
(module
  (memory (export "memory") 1)
  ;; ringSums(bases, n, lower, upper, slotEnd, slots, out): all arguments but n and slots are byte offsets into the
  ;; memory, the prefix rows at 0. bases[k]: centre k's pair in the prefix rows; lower[r] and upper[r]: run r's ends
  ;; relative to a centre, in pairs, runs grouped by slot; slotEnd[s + 1]: the end of slot s's runs. Writes per centre
  ;; `slots` (sum, count) pairs to out, centre after centre. A pair is 16 bytes.
  ;; Four centres at a time, each in an accumulator of its own: one centre's sum is a chain of dependent additions,
  ;; which the processor waits on; four chains run side by side. Each centre's additions stay the same and in the
  ;; same order. The last n mod 4 centres go one at a time.
  (func (export "ringSums")
    (param $bases i32) (param $n i32) (param $lower i32) (param $upper i32) (param $slotEnd i32) (param $slots i32)
    (param $out i32)
    (local $k i32) (local $b i32) (local $s i32) (local $r i32) (local $end i32) (local $acc v128)
    (local $b1 i32) (local $b2 i32) (local $b3 i32) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128)
    (local $hi i32) (local $lo i32) (local $stride i32) (local $at i32)
    ;; One centre's output: slots pairs.
    (local.set $stride (i32.shl (local.get $slots) (i32.const 4)))
    (block $quadsDone
      (loop $quads
        (br_if $quadsDone (i32.gt_u (i32.add (local.get $k) (i32.const 4)) (local.get $n)))
        (local.set $at (i32.add (local.get $bases) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $b (i32.shl (i32.load (local.get $at)) (i32.const 4)))
        (local.set $b1 (i32.shl (i32.load offset=4 (local.get $at)) (i32.const 4)))
        (local.set $b2 (i32.shl (i32.load offset=8 (local.get $at)) (i32.const 4)))
        (local.set $b3 (i32.shl (i32.load offset=12 (local.get $at)) (i32.const 4)))
        (local.set $s (i32.const 0))
        (local.set $r (i32.const 0))
        (block $quadSlotsDone
          (loop $quadSlots
            (br_if $quadSlotsDone (i32.ge_u (local.get $s) (local.get $slots)))
            (local.set $end (i32.load (i32.add (local.get $slotEnd) (i32.shl (i32.add (local.get $s) (i32.const 1)) (i32.const 2)))))
            (local.set $acc (v128.const f64x2 0 0))
            (local.set $acc1 (v128.const f64x2 0 0))
            (local.set $acc2 (v128.const f64x2 0 0))
            (local.set $acc3 (v128.const f64x2 0 0))
            (block $quadRunsDone
              (loop $quadRuns
                (br_if $quadRunsDone (i32.ge_u (local.get $r) (local.get $end)))
                (local.set $hi (i32.shl (i32.load (i32.add (local.get $upper) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 4)))
                (local.set $lo (i32.shl (i32.load (i32.add (local.get $lower) (i32.shl (local.get $r) (i32.const 2)))) (i32.const 4)))
                (local.set $acc (f64x2.add (local.get $acc)
                  (f64x2.sub (v128.load align=8 (i32.add (local.get $b) (local.get $hi))) (v128.load align=8 (i32.add (local.get $b) (local.get $lo))))))
                (local.set $acc1 (f64x2.add (local.get $acc1)
                  (f64x2.sub (v128.load align=8 (i32.add (local.get $b1) (local.get $hi))) (v128.load align=8 (i32.add (local.get $b1) (local.get $lo))))))
                (local.set $acc2 (f64x2.add (local.get $acc2)
                  (f64x2.sub (v128.load align=8 (i32.add (local.get $b2) (local.get $hi))) (v128.load align=8 (i32.add (local.get $b2) (local.get $lo))))))
                (local.set $acc3 (f64x2.add (local.get $acc3)
                  (f64x2.sub (v128.load align=8 (i32.add (local.get $b3) (local.get $hi))) (v128.load align=8 (i32.add (local.get $b3) (local.get $lo))))))
                (local.set $r (i32.add (local.get $r) (i32.const 1)))
                (br $quadRuns)))
            ;; Centre k + i's slot s: out + (k + i) * stride + 16 s.
            (local.set $at (i32.add (i32.add (local.get $out) (i32.mul (local.get $k) (local.get $stride))) (i32.shl (local.get $s) (i32.const 4))))
            (v128.store align=8 (local.get $at) (local.get $acc))
            (local.set $at (i32.add (local.get $at) (local.get $stride)))
            (v128.store align=8 (local.get $at) (local.get $acc1))
            (local.set $at (i32.add (local.get $at) (local.get $stride)))
            (v128.store align=8 (local.get $at) (local.get $acc2))
            (local.set $at (i32.add (local.get $at) (local.get $stride)))
            (v128.store align=8 (local.get $at) (local.get $acc3))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $quadSlots)))
        (local.set $k (i32.add (local.get $k) (i32.const 4)))
        (br $quads)))
    ;; The rest, one centre at a time, from centre k's output on.
    (local.set $out (i32.add (local.get $out) (i32.mul (local.get $k) (local.get $stride))))
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
        (br $centres))))

  ;; judgeRings(pairs, n, enough, minSectors, weakest, sectors, out): each of n rings' (sum, count) pairs as ringSums
  ;; writes them (8 sectors: feather slots 0-7, inner sides 8-15, outer sides 16-23; 384 bytes a ring), judged as
  ;; blend-seam.ts's wholeRing, partRing and dipAt did: a ring whose every sector has enough samples (enough: 24
  ;; doubles) and noise in its feather and in its two sides together is whole (pool 9, all 8 sectors); else the sectors
  ;; whose feather and at least one side (each side alone) do (pool = their number, -1 when under minSectors). Of the
  ;; judged sectors, in ascending order of feather mean / side mean (ties in sector order), the one at rank
  ;; (count - weakest) is the statistic. Writes per ring three doubles to out: pool, that sector's feather mean and its
  ;; side mean (the caller takes the logs). sectors: room for 24 doubles and 8 32-bit counts (224 bytes).
  ;; Sector i of a ring judged: its feather mean, side mean and their ratio into the sectors scratch (8 doubles each).
  (func $judged (param $sectors i32) (param $i i32) (param $feather f64) (param $featherCount f64) (param $side f64) (param $sideCount f64)
    (local $at i32) (local $featherMean f64) (local $sideMean f64)
    (local.set $at (i32.add (local.get $sectors) (i32.shl (local.get $i) (i32.const 3))))
    (local.set $featherMean (f64.div (local.get $feather) (local.get $featherCount)))
    (local.set $sideMean (f64.div (local.get $side) (local.get $sideCount)))
    (f64.store (local.get $at) (local.get $featherMean))
    (f64.store offset=64 (local.get $at) (local.get $sideMean))
    (f64.store offset=128 (local.get $at) (f64.div (local.get $featherMean) (local.get $sideMean))))

  (func (export "judgeRings")
    (param $pairs i32) (param $n i32) (param $enough i32) (param $minSectors i32) (param $weakest i32)
    (param $sectors i32) (param $out i32)
    (local $k i32) (local $base i32) (local $s i32) (local $used i32) (local $whole i32) (local $slot i32)
    (local $band i32) (local $rank i32) (local $i i32) (local $j i32) (local $position i32) (local $chosen i32)
    (local $feather f64) (local $featherCount f64) (local $side f64) (local $sideCount f64) (local $ratio f64)
    (local $other f64)
    (block $ringsDone
      (loop $rings
        (br_if $ringsDone (i32.ge_u (local.get $k) (local.get $n)))
        (local.set $base (i32.add (local.get $pairs) (i32.mul (local.get $k) (i32.const 384))))
        ;; Whole: every sector's feather and both sides together.
        (local.set $whole (i32.const 1))
        (local.set $s (i32.const 0))
        (block $wholeDone
          (loop $wholeSectors
            (br_if $wholeDone (i32.ge_u (local.get $s) (i32.const 8)))
            (local.set $feather (f64.load (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 4)))))
            (local.set $featherCount (f64.load offset=8 (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 4)))))
            (local.set $side (f64.add
              (f64.load offset=128 (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 4))))
              (f64.load offset=256 (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 4))))))
            (local.set $sideCount (f64.add
              (f64.load offset=136 (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 4))))
              (f64.load offset=264 (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 4))))))
            (if (i32.or
                  (i32.or (f64.lt (local.get $featherCount) (f64.load (i32.add (local.get $enough) (i32.shl (local.get $s) (i32.const 3)))))
                          (f64.le (local.get $feather) (f64.const 0)))
                  (i32.or (f64.lt (local.get $sideCount)
                            (f64.add (f64.load offset=64 (i32.add (local.get $enough) (i32.shl (local.get $s) (i32.const 3))))
                                     (f64.load offset=128 (i32.add (local.get $enough) (i32.shl (local.get $s) (i32.const 3))))))
                          (f64.le (local.get $side) (f64.const 0))))
              (then (local.set $whole (i32.const 0)) (br $wholeDone)))
            (call $judged (local.get $sectors) (local.get $s) (local.get $feather) (local.get $featherCount) (local.get $side) (local.get $sideCount))
            (local.set $s (i32.add (local.get $s) (i32.const 1)))
            (br $wholeSectors)))
        (block $judged
          (if (local.get $whole)
            (then
              (local.set $used (i32.const 8))
              (f64.store (local.get $out) (f64.const 9))
              (br $judged)))
          ;; Partly off the breast: the sectors whose feather and at least one side (each alone) have enough.
          (local.set $used (i32.const 0))
          (local.set $s (i32.const 0))
          (block $partDone
            (loop $partSectors
              (br_if $partDone (i32.ge_u (local.get $s) (i32.const 8)))
              (block $nextSector
                (local.set $feather (f64.load (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 4)))))
                (local.set $featherCount (f64.load offset=8 (i32.add (local.get $base) (i32.shl (local.get $s) (i32.const 4)))))
                (br_if $nextSector (i32.or
                  (f64.lt (local.get $featherCount) (f64.load (i32.add (local.get $enough) (i32.shl (local.get $s) (i32.const 3)))))
                  (f64.le (local.get $feather) (f64.const 0))))
                (local.set $side (f64.const 0))
                (local.set $sideCount (f64.const 0))
                (local.set $band (i32.const 1))
                (block $bandsDone
                  (loop $bands
                    (br_if $bandsDone (i32.gt_u (local.get $band) (i32.const 2)))
                    (local.set $slot (i32.add (i32.shl (local.get $band) (i32.const 3)) (local.get $s)))
                    (if (i32.eqz (i32.or
                          (f64.lt (f64.load offset=8 (i32.add (local.get $base) (i32.shl (local.get $slot) (i32.const 4))))
                                  (f64.load (i32.add (local.get $enough) (i32.shl (local.get $slot) (i32.const 3)))))
                          (f64.le (f64.load (i32.add (local.get $base) (i32.shl (local.get $slot) (i32.const 4)))) (f64.const 0))))
                      (then
                        (local.set $side (f64.add (local.get $side) (f64.load (i32.add (local.get $base) (i32.shl (local.get $slot) (i32.const 4))))))
                        (local.set $sideCount (f64.add (local.get $sideCount) (f64.load offset=8 (i32.add (local.get $base) (i32.shl (local.get $slot) (i32.const 4))))))))
                    (local.set $band (i32.add (local.get $band) (i32.const 1)))
                    (br $bands)))
                (br_if $nextSector (f64.eq (local.get $sideCount) (f64.const 0)))
                (call $judged (local.get $sectors) (local.get $used) (local.get $feather) (local.get $featherCount) (local.get $side) (local.get $sideCount))
                (local.set $used (i32.add (local.get $used) (i32.const 1))))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (br $partSectors)))
          (if (i32.lt_s (local.get $used) (local.get $minSectors))
            (then (local.set $used (i32.const 0)) (f64.store (local.get $out) (f64.const -1)) (br $judged)))
          (f64.store (local.get $out) (f64.convert_i32_s (local.get $used))))
        ;; The sector at rank (used - weakest) of a stable ascending sort by ratio: the one with that many sectors
        ;; before it (smaller ratios, and equal ones earlier). Each pair compared once, without a branch (which
        ;; comes first is as good as random, and a mispredicted branch cost more than the comparison): of i < j,
        ;; j goes first when its ratio is smaller, else i. The counts sit after the 24 doubles of `sectors`.
        (if (i32.gt_s (local.get $used) (i32.const 0))
          (then
            (local.set $rank (i32.sub (local.get $used) (local.get $weakest)))
            (v128.store offset=192 (local.get $sectors) (v128.const i32x4 0 0 0 0))
            (v128.store offset=208 (local.get $sectors) (v128.const i32x4 0 0 0 0))
            (local.set $i (i32.const 0))
            (block $pairsDone
              (loop $firsts
                (br_if $pairsDone (i32.ge_u (local.get $i) (local.get $used)))
                (local.set $ratio (f64.load offset=128 (i32.add (local.get $sectors) (i32.shl (local.get $i) (i32.const 3)))))
                (local.set $j (i32.add (local.get $i) (i32.const 1)))
                (block $secondsDone
                  (loop $seconds
                    (br_if $secondsDone (i32.ge_u (local.get $j) (local.get $used)))
                    (local.set $other (f64.load offset=128 (i32.add (local.get $sectors) (i32.shl (local.get $j) (i32.const 3)))))
                    ;; position: 1 when j goes first.
                    (local.set $position (f64.lt (local.get $other) (local.get $ratio)))
                    (i32.store offset=192 (i32.add (local.get $sectors) (i32.shl (local.get $i) (i32.const 2)))
                      (i32.add (i32.load offset=192 (i32.add (local.get $sectors) (i32.shl (local.get $i) (i32.const 2)))) (local.get $position)))
                    (i32.store offset=192 (i32.add (local.get $sectors) (i32.shl (local.get $j) (i32.const 2)))
                      (i32.add (i32.load offset=192 (i32.add (local.get $sectors) (i32.shl (local.get $j) (i32.const 2))))
                        (i32.sub (i32.const 1) (local.get $position))))
                    (local.set $j (i32.add (local.get $j) (i32.const 1)))
                    (br $seconds)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $firsts)))
            (local.set $chosen (i32.const 0))
            (local.set $i (i32.const 0))
            (block $found
              (loop $candidates
                (br_if $found (i32.ge_u (local.get $i) (local.get $used)))
                (if (i32.eq (i32.load offset=192 (i32.add (local.get $sectors) (i32.shl (local.get $i) (i32.const 2)))) (local.get $rank))
                  (then (local.set $chosen (local.get $i)) (br $found)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $candidates)))
            (f64.store offset=8 (local.get $out) (f64.load (i32.add (local.get $sectors) (i32.shl (local.get $chosen) (i32.const 3)))))
            (f64.store offset=16 (local.get $out) (f64.load offset=64 (i32.add (local.get $sectors) (i32.shl (local.get $chosen) (i32.const 3)))))))
        (local.set $out (i32.add (local.get $out) (i32.const 24)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $rings)))))
