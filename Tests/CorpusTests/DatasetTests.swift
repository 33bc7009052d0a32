import Foundation
import Testing
import _FrameDedupeTestSupport
@testable import Corpus

/// The library side of `framededupe dataset`: split assignment (balance, determinism, appending), selection and
/// quality filters, manifest lines, ustar shards. Pure logic on made-up records: fast, and the binary-driven test
/// (`DatasetCommandTests`) runs the whole on real clips.
@Suite("Dataset: splits, selection, manifest, shards")
struct DatasetTests {
    // MARK: Splits

    @Test func splitSpecificationsParseAndRefuse() throws {
        let s = try SplitFractions(parsing: "train=0.8,val=0.1,test=0.1")
        #expect(s.names == ["train", "val", "test"])
        #expect(s.description == "train=0.8,val=0.1,test=0.1")
        #expect(try SplitFractions(parsing: "a=70,b=30").fractions == [0.7, 0.3])
        for bad in ["train", "train=0.8,val=0.1", "train=x", "a=0.5,a=0.5", "tr/ain=1", "a=-1,b=2", "a=0,b=0"] {
            #expect(throws: SplitSpecificationError.self, "\(bad)") { try SplitFractions(parsing: bad) }
        }
    }

    /// Units shaped like a real corpus: most clusters one image, some a few, a handful large.
    static func corpus(_ count: Int, seed: UInt64) -> [SplitUnit] {
        var g = SplitMix64(state: seed)
        return (0..<count).map { i in
            let r = g.next() % 100
            let n = r < 70 ? 1 : r < 95 ? 2 + Int(g.next() % 4) : 10 + Int(g.next() % 30)
            return SplitUnit(key: "video\(i / 7):\(i % 7)", newImages: n)
        }
    }

    static func fractions(_ units: [SplitUnit], _ assigned: [Int], splits: Int) -> [Double] {
        var counts = [Double](repeating: 0, count: splits)
        for (u, s) in zip(units, assigned) { counts[s] += Double(u.newImages + u.earlierImages.values.reduce(0, +)) }
        let total = counts.reduce(0, +)
        return counts.map { $0 / total }
    }

    /// The acceptance rule "split fractions within 5 points of those asked (by images)" on enough clusters for it to
    /// mean something (a real folder of a few videos has a dozen clusters: one cluster can be 10 points).
    @Test func manyClustersLandWithinAPointOfTheFractions() {
        let splits = SplitFractions.standard
        for seed: UInt64 in [0, 1, 42] {
            let units = Self.corpus(2_000, seed: seed + 100)
            let assigned = SplitAssignment(splits: splits, seed: seed).assign(units)
            for (got, wanted) in zip(Self.fractions(units, assigned, splits: 3), splits.fractions) {
                #expect(abs(got - wanted) < 0.01, "seed \(seed): \(got) for \(wanted)")
            }
        }
        // Uneven and many-way splits too.
        let five = try! SplitFractions(parsing: "a=0.5,b=0.2,c=0.15,d=0.1,e=0.05")
        let units = Self.corpus(1_000, seed: 9)
        for (got, wanted) in zip(Self.fractions(units, SplitAssignment(splits: five, seed: 3).assign(units), splits: 5), five.fractions) {
            #expect(abs(got - wanted) < 0.02, "\(got) for \(wanted)")
        }
    }

    @Test func theAssignmentDependsOnTheSeedAndTheUnitsNotOnTheirOrder() {
        let units = Self.corpus(300, seed: 5)
        let a = SplitAssignment(splits: .standard, seed: 7)
        let first = a.assign(units)
        #expect(a.assign(units) == first)
        // Reversed input: every unit keeps its split.
        let reversed = a.assign(units.reversed())
        #expect(Array(reversed.reversed()) == first)
        // Another seed moves equal-sized units between splits.
        let other = SplitAssignment(splits: .standard, seed: 8).assign(units)
        #expect(other != first)
        #expect(zip(other, first).filter { $0 != $1 }.count > 10)
    }

    /// Appending: a unit with earlier images keeps its split whatever the balance says; new units fill the splits
    /// that fell behind; a unit whose earlier images are in two splits (a new video linked two clusters) goes where
    /// most of them are.
    @Test func appendingKeepsEarlierSplitsAndBalancesTheRest() {
        let splits = SplitFractions.standard
        var units = Self.corpus(500, seed: 11)
        let first = SplitAssignment(splits: splits, seed: 1).assign(units)
        // The earlier run's images become earlier images; some units grow; new units arrive, as many again.
        for i in units.indices {
            units[i].earlierImages = [splits.names[first[i]]: units[i].newImages]
            units[i].newImages = i % 5 == 0 ? 2 : 0
        }
        units += Self.corpus(500, seed: 12).map { SplitUnit(key: "new-" + $0.key, newImages: $0.newImages) }
        units.append(SplitUnit(key: "bridge", newImages: 3, earlierImages: ["val": 1, "test": 4]))
        let second = SplitAssignment(splits: splits, seed: 1).assign(units)
        for i in 0..<500 { #expect(second[i] == first[i]) }
        #expect(splits.names[second.last!] == "test")
        for (got, wanted) in zip(Self.fractions(units, second, splits: 3), splits.fractions) { #expect(abs(got - wanted) < 0.02, "\(got) for \(wanted)") }
    }

    /// `--split-radius`: clusters holding two scenes closer than the radius become one unit (other moments of a
    /// shot that the corpus clusters keep apart); farther ones stay apart.
    @Test func clustersWithNearScenesShareAUnit() {
        func scene(_ number: Int, _ vector: [Float]) -> CorpusIndex.SceneRow {
            let video = IndexedVideo(path: "/v.mp4", size: 1, sha256: "ab", duration: 10, tags: [:], folder: "ab", scenes: [])
            return CorpusIndex.SceneRow(id: Int64(number), video: video, scene: IndexedScene(number: number, start: 0, end: 1, keyframeTime: 0,
                                                                                           keyframePath: nil, embedding: normalised(vector)),
                                        cluster: Int64(number))
        }
        func cluster(_ number: Int, _ rows: [CorpusIndex.SceneRow]) -> CorpusIndex.CorpusCluster {
            CorpusIndex.CorpusCluster(number: number, scenes: rows, exemplar: 0, centrality: rows.map { _ in 1 })
        }
        // Cosine distances: a-b 1 - cos(40°) = 0.234; b-c 1 - cos(75°) = 0.741.
        let angle = { (degrees: Double) -> [Float] in [Float(cos(degrees * .pi / 180)), Float(sin(degrees * .pi / 180)), 0] }
        let clusters = [cluster(0, [scene(0, angle(0))]), cluster(1, [scene(1, angle(40))]), cluster(2, [scene(2, angle(115)), scene(3, [0, 0, 1])])]
        var sets = DisjointSets(count: 3)
        DatasetPlanner.joinNearClusters(clusters, radius: 0.3, sets: &sets)
        #expect(sets.find(0) == sets.find(1))
        #expect(sets.find(1) != sets.find(2))
        var strict = DisjointSets(count: 3)
        DatasetPlanner.joinNearClusters(clusters, radius: 0.2, sets: &strict)
        #expect(strict.find(0) != strict.find(1))
    }

    // MARK: Selection

    static func candidate(_ cluster: Int64, video: String = "v", centrality: Double = 0.9, exemplar: Bool = false, direction: Int = 0,
                          sharpness: Double = 100, brightness: Double = 120, contrast: Double = 40, side: Int = 360, seconds: Double = 60) -> DatasetCandidate {
        var e = [Float](repeating: 0, count: 8)
        e[direction % 8] = 1
        return DatasetCandidate(cluster: cluster, video: video, videoSeconds: seconds, centrality: centrality, isExemplar: exemplar, embedding: e,
                                measures: PictureMeasures(sharpness: sharpness, exposure: 0.9, brightness: brightness, contrast: contrast,
                                                          width: side * 16 / 9, height: side))
    }

    @Test func qualityFiltersCountEachReason() {
        let c = [
            Self.candidate(1, exemplar: true, sharpness: 5),  // blurred
            Self.candidate(2, exemplar: true, brightness: 10),  // dark
            Self.candidate(3, exemplar: true, brightness: 245),  // bright
            Self.candidate(4, exemplar: true, contrast: 2),  // near uniform
            Self.candidate(5, exemplar: true, side: 40),  // tiny
            Self.candidate(6, exemplar: true),
        ]
        let s = DatasetSelector(rules: SelectionRules()).select(c)
        #expect(s.chosen.map(\.candidate) == [5])
        #expect(s.excluded == [.blurred: 1, .dark: 1, .bright: 1, .lowInformation: 1, .tiny: 1])
    }

    @Test func keepClusterTakesTheExemplarOrTheMostCentralThatPasses() {
        let c = [
            Self.candidate(1, centrality: 0.95, exemplar: true), Self.candidate(1, centrality: 0.9, direction: 1),
            Self.candidate(2, centrality: 0.99, exemplar: true, sharpness: 1), Self.candidate(2, centrality: 0.7, direction: 1),
            Self.candidate(2, centrality: 0.8, direction: 2),
        ]
        let s = DatasetSelector(rules: SelectionRules()).select(c)
        #expect(s.chosen.map(\.candidate) == [0, 4])
        #expect(s.chosen.allSatisfy { $0.reason == .exemplar })
        #expect(s.excluded == [.blurred: 1, .duplicate: 2])
        // A cluster that earlier runs gave an image takes none with --keep cluster.
        let again = DatasetSelector(rules: SelectionRules()).select(c, earlier: [1: [c[0].embedding]])
        #expect(again.chosen.map(\.candidate) == [4])
    }

    @Test func keepDiverseAddsFrameUnlikeTheKeptOnesWithinTheCaps() {
        var rules = SelectionRules()
        rules.keep = .diverse
        // Cluster 1: the exemplar, a near copy of it (same direction) and two different frames.
        let c = [
            Self.candidate(1, centrality: 0.9, exemplar: true), Self.candidate(1, centrality: 0.8),
            Self.candidate(1, centrality: 0.7, direction: 1), Self.candidate(1, centrality: 0.6, direction: 2),
        ]
        let all = DatasetSelector(rules: rules).select(c)
        #expect(all.chosen.map(\.candidate) == [0, 2, 3])
        #expect(all.chosen.map(\.reason) == [.exemplar, .diverse, .diverse])
        #expect(all.excluded == [.duplicate: 1])
        rules.perCluster = 2
        let capped = DatasetSelector(rules: rules).select(c)
        #expect(capped.chosen.map(\.candidate) == [0, 2])
        #expect(capped.excluded == [.duplicate: 1, .perCluster: 1])
        // An earlier image like candidate 2 makes it a duplicate; the cap counts the earlier image.
        let appended = DatasetSelector(rules: rules).select(c, earlier: [1: [c[2].embedding]])
        #expect(appended.chosen.map(\.candidate) == [0])
    }

    /// --per-minute: a 30 s video at 2 a minute gives 1 image; exemplars of every cluster come before variety.
    @Test func perMinuteCapsEachVideoExemplarsFirst() {
        var rules = SelectionRules()
        rules.keep = .diverse
        rules.perMinute = 2
        let c = [
            Self.candidate(1, video: "a", exemplar: true, seconds: 30), Self.candidate(1, video: "a", direction: 1, seconds: 30),
            Self.candidate(2, video: "a", exemplar: true, direction: 3, seconds: 30), Self.candidate(2, video: "b", direction: 4, seconds: 90),
            Self.candidate(3, video: "b", exemplar: true, direction: 5, seconds: 90),
        ]
        let s = DatasetSelector(rules: rules).select(c)
        // a: one image (cluster 1's exemplar); cluster 2 falls back to b's frame; b has 3: cluster 3 too.
        #expect(s.chosen.map(\.candidate) == [0, 3, 4])
        #expect(s.excluded == [.perMinute: 2])
    }

    // MARK: Manifest and shards

    @Test func manifestLinesRoundTripAndCSVQuotes() throws {
        let image = DatasetImage(path: "train/0123456789abcdef_s0003.jpg", split: "train", video: "/data/a, \"b\".mp4",
                                 sha256: String(repeating: "0123456789abcdef", count: 4), time: 12.5, frame: 300, scene: 3, cluster: 17,
                                 width: 640, height: 360, sharpness: 123.456, exposure: 0.93216, kept: .diverse)
        #expect(image.jsonLine.hasPrefix(#"{"path": "train/0123456789abcdef_s0003.jpg", "split": "train", "video": "/data/a, \"b\".mp4", "sha256": ""#))
        #expect(!image.jsonLine.contains("\n"))
        let back = try DatasetImage(jsonLine: image.jsonLine)
        #expect(back.jsonLine == image.jsonLine)
        #expect(back.key == "0123456789abcdef_s0003")
        #expect(DatasetImage.key(sha256: image.sha256, scene: 3) == back.key)
        #expect(image.csvRow.hasPrefix(#"train/0123456789abcdef_s0003.jpg,train,"/data/a, ""b"".mp4",0123"#))
        #expect(image.csvRow.hasSuffix(",12.5,300,3,17,640,360,123.46,0.9322,diverse"))
        #expect(image.csvRow.split(separator: ",").count == DatasetImage.csvHeader.split(separator: ",").count + 1)  // the comma inside quotes
    }

    @Test func tarHeadersAreUstarWithValidChecksums() throws {
        var tar = TarArchiveWriter()
        try tar.append(name: "abc_s0001.jpg", contents: Array(repeating: 7, count: 700))
        try tar.append(name: String(repeating: "d", count: 120) + "/" + String(repeating: "n", count: 90), contents: [1, 2, 3])
        #expect(throws: TarArchiveWriter.NameError.self) { try tar.append(name: String(repeating: "x", count: 101), contents: []) }
        let bytes = tar.finished()
        #expect(bytes.count == 512 + 1024 + 512 + 512 + 1024)
        for offset in [0, 1536] {
            let header = Array(bytes[offset..<offset + 512])
            let stored = Int(String(decoding: header[148..<154], as: UTF8.self), radix: 8)
            var copy = header
            for i in 148..<156 { copy[i] = 32 }
            #expect(stored == copy.reduce(0) { $0 + Int($1) })
            #expect(String(decoding: header[257..<263], as: UTF8.self) == "ustar\0")
        }
        #expect(String(decoding: bytes[124..<135], as: UTF8.self) == "00000001274")  // 700 in octal
        #expect(String(decoding: bytes[1536 + 345..<1536 + 465], as: UTF8.self) == String(repeating: "d", count: 120))
        #expect(bytes.suffix(1024).allSatisfy { $0 == 0 })
        #expect(bytes[512..<1212].allSatisfy { $0 == 7 } && bytes[1212..<1536].allSatisfy { $0 == 0 })
        // Written out member by member (as the shards are), the same bytes.
        var streamed = TarArchiveWriter()
        try streamed.append(name: "abc_s0001.jpg", contents: Array(repeating: 7, count: 700))
        var out = streamed.takeBytes()
        try streamed.append(name: String(repeating: "d", count: 120) + "/" + String(repeating: "n", count: 90), contents: [1, 2, 3])
        out += streamed.takeBytes() + TarArchiveWriter.end
        #expect(out == bytes)
    }
}
