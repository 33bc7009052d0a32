import Decoder
import Pixels
import Foundation
@testable import FrameDedupe
import Similarity
import Testing

/// Not a test: the figures behind one clip's copy and look-alike decisions, for finding why a pair went wrong (issue 17,
/// BENCHMARKS.md "Copies geometric verification still missed"). Run when `FRAMEDEDUPE_PAIR_FIGURES` names a clip:
///
///     FRAMEDEDUPE_PAIR_FIGURES=clip.mp4 [FRAMEDEDUPE_PAIR_FIGURES_SCENES=0,4] [FRAMEDEDUPE_PAIR_FIGURES_OUT=file] \
///       [FRAMEDEDUPE_PAIR_FIGURES_DECODE=keyframes] [FRAMEDEDUPE_PAIR_FIGURES_FPS=0.5] \
///       swift test -c release -Xswiftc -enable-testing --filter PairFiguresTool
///
/// The clip is analysed with the defaults. Per scene: its keyframe's and moments' sampled frames and keypoints, and its
/// cluster. Per pair of scenes closer than the copy radius (or the scenes named): the cosine distance of their
/// embeddings, the grid distance of the spatial check (the smallest mean cell distance, direct, mirrored or shifted by a
/// cell), and the measures of ``GeometricVerifier`` for every pair of their pictures (keyframe 0, then the moments),
/// with static graphics left out first as ``checkPairs`` leaves them out.
@Suite("PairFiguresTool", .enabled(if: ProcessInfo.processInfo.environment["FRAMEDEDUPE_PAIR_FIGURES"] != nil))
struct PairFiguresTool {
    @Test func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let path = try #require(environment["FRAMEDEDUPE_PAIR_FIGURES"])
        let wanted = environment["FRAMEDEDUPE_PAIR_FIGURES_SCENES"].flatMap { list -> Set<Int>? in
            let ids = Set(list.split(separator: ",").compactMap { Int($0) })
            return ids.isEmpty ? nil : ids
        }
        var run = DedupeOptions()
        if environment["FRAMEDEDUPE_PAIR_FIGURES_DECODE"] == "keyframes" { run.reader.decode = .keyframes }
        if let fps = environment["FRAMEDEDUPE_PAIR_FIGURES_FPS"].flatMap(Rational.init(parsing:)) { run.reader.sampling = .perSecond(fps) }
        let list = try findScenes(input: path, options: run, output: nil)
        let scenes = try list.scenesWithLocalFeatures().filter { !$0.transition }
        let options = ClusterOptions()
        let cosines = scenes.map { s in scenes.map { t in 1 - zip(s.embedding!, t.embedding!).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } } }
        // The pictures as checkPairs verifies them: static graphics out.
        let stripped = StaticGraphics.removingStatic(
            scenes.map(\.features), pictures: scenes.enumerated().flatMap { i, s in s.momentFeatures.map { (scene: i, features: $0) } }
                + scenes.enumerated().compactMap { i, s in s.shotStartFeatures.map { (scene: i, features: $0) } },
            differentContent: { cosines[$0][$1] > options.copyRadius })
        var pictures: [[LocalFeatures]] = [], next = 0
        for (i, s) in scenes.enumerated() {
            pictures.append((stripped.scenes[i].map { [$0] } ?? []) + Array(stripped.pictures[next..<(next + s.momentFeatures.count)]))
            next += s.momentFeatures.count
        }
        // The shot starts last: their own pictures, or the keyframe's standing for them (``Scene/shotStartIsKeyframe``).
        var starts: [LocalFeatures?] = scenes.map { _ in nil }
        for (i, s) in scenes.enumerated() where s.shotStartFeatures != nil {
            starts[i] = stripped.pictures[next]
            next += 1
        }
        for (i, s) in scenes.enumerated() where s.shotStartIsKeyframe { starts[i] = stripped.scenes[i] }
        let verifier = GeometricVerifier()
        var text = ""
        for (i, s) in scenes.enumerated() {
            let start = s.shotStartIsKeyframe ? "keyframe" : s.shotStartFeatures != nil ? "own" : "none"
            text += "scene \(s.id) \(s.start)-\(s.end) keyframe \(s.keyframe.frameIndex) at \(s.keyframe.seconds) moments \(s.momentFrames) shot start \(start) keypoints \(pictures[i].map(\.count)) cluster \(list.clusters.clusterOfScene[s.id] ?? -1)\n"
            for j in (i + 1)..<scenes.count {
                let t = scenes[j]
                if let wanted { guard wanted.contains(s.id), wanted.contains(t.id) else { continue } } else if cosines[i][j] > options.copyRadius { continue }
                var grid = Double.infinity
                if let ga = s.grid, let gb = t.grid {
                    for m in [false, true] { for dy in -1...1 { for dx in -1...1 { grid = min(grid, meanCellDistance(ga, gb, mirror: m, dx: dx, dy: dy)) } } }
                }
                text += String(format: "  %d-%d cosine %.3f grid %.3f\n", s.id, t.id, cosines[i][j], grid)
                let startPair = starts[i].flatMap { a in starts[j].map { [(x: 9, y: 9, p: a, q: $0)] } } ?? []
                let pairs = pictures[i].enumerated().flatMap { x, p in pictures[j].enumerated().map { y, q in (x: x, y: y, p: p, q: q) } } + startPair
                for (x, y, p, q) in pairs {
                    do {
                        let m = verifier.verify(p, q)
                        var changed = ""
                        if x == 0, y == 0, let la = s.keyframeLuma, let lb = t.keyframeLuma, let tr = m.transform {
                            let shares = [16.0, 24, 32, 48].map { PictureChange.changedShare(la, p, lb, q, transform: tr, mirrored: m.mirrored, level: $0) ?? 1 }
                            changed = String(format: " changed %.3f/%.3f/%.3f/%.3f unreached %d", shares[0], shares[1], shares[2], shares[3], m.unreachedCells)
                        }
                        text += String(format: "    [%d,%d] keypoints %d/%d matches %d inliers %d ratio %.2f coverage %.2f span %.3f cells %.2f motion %d cells+motion %.2f distance %.1f mirrored %@ copy %@ decisive %@\n",
                                       x, y, p.count, q.count, m.matches, m.inliers, m.inlierRatio, m.coverage, min(m.spanA, m.spanB), m.cellCoverage,
                                       m.motionInliers, m.cellCoverageWithMotion, m.inlierDistance, "\(m.mirrored)", "\(m.isCopy)", "\(m.isDecisive)")
                        if x == 0, y == 0, let la = s.keyframeLuma, let lb = t.keyframeLuma {
                            // The plain pictures' measure (ClusterOptions.plainLayoutChange), then with shifts of up to 1/6.
                            let l0 = PictureChange.layoutChange(la, p, lb, q) ?? 1, l2 = PictureChange.layoutChange(la, p, lb, q, shifts: 2) ?? 1
                            changed += String(format: " layout %.3f shifted %.3f", l0, l2)
                        }
                        if !changed.isEmpty { text = String(text.dropLast()) + changed + "\n" }
                    }
                }
            }
        }
        print(text, terminator: "")
        if let out = environment["FRAMEDEDUPE_PAIR_FIGURES_OUT"] { try text.write(toFile: out, atomically: true, encoding: .utf8) }
        #expect(!scenes.isEmpty)
    }
}

