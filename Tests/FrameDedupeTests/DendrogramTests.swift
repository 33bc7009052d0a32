import Foundation
import FrameDedupe
import Similarity
import Testing
import _FrameDedupeTestSupport

#if canImport(FoundationXML)
import FoundationXML
#endif

/// One element of a parsed XML document: its name, attributes and the text directly inside it.
struct ParsedElement {
    var name: String
    var attributes: [String: String]
    var text = ""
}

/// Collects every element of a document, in document order.
final class ElementCollector: NSObject, XMLParserDelegate {
    var elements: [ParsedElement] = []
    private var open: [Int] = []

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        open.append(elements.count)
        elements.append(ParsedElement(name: name, attributes: attributes))
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let last = open.last { elements[last].text += string }
    }
}

struct XMLNotWellFormed: Error, CustomStringConvertible {
    let description: String
}

/// The elements of `text`, or an error when it is not well-formed XML.
func parseXML(_ text: String) throws -> [ParsedElement] {
    let parser = XMLParser(data: Data(text.utf8))
    let collector = ElementCollector()
    parser.delegate = collector
    guard parser.parse() else { throw XMLNotWellFormed(description: parser.parserError.map { "\($0)" } ?? "parse failed") }
    return collector.elements
}

@Suite("Dendrogram JSON and SVG", .temporaryFolders)
struct DendrogramTests {
    /// 0+1 at 0.1, 2+3 at 0.2, both pairs at 0.9; cut at 0.5 into {0, 1} and {2, 3}.
    let pairs = MergeTree(leafCount: 4, merges: [
        .init(left: 0, right: 1, height: 0.1, size: 2),
        .init(left: 2, right: 3, height: 0.2, size: 2),
        .init(left: 4, right: 5, height: 0.9, size: 4),
    ])
    let pairsLabels = ["s0 0s", "s1 2.5s", "s2 5s", "s3 7.5s"]

    /// 0+2 and 1+3 pair up: drawn in index order the links would cross, so the leaves must go 0, 2, 1, 3.
    let interleaved = MergeTree(leafCount: 4, merges: [
        .init(left: 0, right: 2, height: 0.1, size: 2),
        .init(left: 1, right: 3, height: 0.2, size: 2),
        .init(left: 4, right: 5, height: 0.9, size: 4),
    ])

    func svg(_ tree: MergeTree, labels: [String]? = nil, threshold: Double = 0.5, title: String = "test") -> String {
        let labels = labels ?? (0..<tree.leafCount).map { "s\($0) \($0 * 2)s" }
        return Dendrogram.svg(tree: tree, leafLabels: labels, threshold: threshold, clusterOfLeaf: tree.clusters(cutAt: threshold), title: title)
    }

    /// The map from axis values to y coordinates, fitted to the first and last ticks.
    func axis(_ elements: [ParsedElement]) throws -> (Double) -> Double {
        let ticks = elements.filter { $0.name == "line" && $0.attributes["class"] == "tick" }
        #expect(ticks.count >= 2)
        let first = try #require(ticks.first), last = try #require(ticks.last)
        let v0 = try #require(first.attributes["data-value"].flatMap(Double.init)), y0 = try #require(first.attributes["y1"].flatMap(Double.init))
        let v1 = try #require(last.attributes["data-value"].flatMap(Double.init)), y1 = try #require(last.attributes["y1"].flatMap(Double.init))
        #expect(v1 > v0 && y1 < y0, "values grow upwards")
        return { y0 + ($0 - v0) / (v1 - v0) * (y1 - y0) }
    }

    /// The leaf ids of the labels, from left to right.
    func labelledLeaves(_ elements: [ParsedElement]) -> [Int] {
        elements.filter { $0.name == "text" && $0.attributes["class"] == "leaf" }
            .map { (x: Double($0.attributes["x"] ?? "") ?? .nan, leaf: Int($0.attributes["data-leaf"] ?? "") ?? -1) }
            .sorted { $0.x < $1.x }
            .map(\.leaf)
    }

    @Test func svgIsWellFormedWithOnePathPerLink() throws {
        let text = svg(pairs, labels: pairsLabels)
        let elements = try parseXML(text)
        #expect(elements.first?.name == "svg")
        #expect(elements.first?.attributes["font-family"] == "sans-serif")
        #expect(elements.filter { $0.name == "path" }.count == 3)
        #expect(text.components(separatedBy: "<path").count - 1 == 3)
        #expect(!text.contains("href"), "no external resources")
        #expect(!text.contains("<script"))
    }

    @Test func thresholdLineSitsAtItsValueOnTheAxis() throws {
        let elements = try parseXML(svg(pairs, labels: pairsLabels))
        let y = try axis(elements)
        let threshold = try #require(elements.first { $0.name == "line" && $0.attributes["class"] == "threshold" })
        let y1 = try #require(threshold.attributes["y1"].flatMap(Double.init)), y2 = try #require(threshold.attributes["y2"].flatMap(Double.init))
        #expect(abs(y1 - y(0.5)) < 0.02 && abs(y2 - y(0.5)) < 0.02)
        #expect(threshold.attributes["stroke-dasharray"] != nil)
        #expect(elements.contains { $0.name == "text" && $0.text == "threshold 0.5" })
        // The axis starts at 0 and reaches above the top merge.
        let ticks = elements.filter { $0.attributes["class"] == "tick" }.compactMap { $0.attributes["data-value"].flatMap(Double.init) }
        #expect(ticks.first == 0)
        let axisLine = try #require(elements.first { $0.name == "line" && $0.attributes["class"] == "axis" })
        let axisTop = try #require(axisLine.attributes["y2"].flatMap(Double.init))
        #expect(axisTop < y(0.9) && axisTop > y(1.2))
    }

    @Test func linksRiseToTheirMergeHeights() throws {
        let elements = try parseXML(svg(pairs, labels: pairsLabels))
        let y = try axis(elements)
        let paths = elements.filter { $0.name == "path" }.compactMap { $0.attributes["d"] }
        // "M x y V top H x V y": the U's top is the second number after V.
        let tops = try paths.map { d -> Double in
            let afterV = try #require(d.split(separator: "V").dropFirst().first)
            return try #require(Double(afterV.split(separator: "H")[0]))
        }
        #expect(tops.count == 3)
        for (top, height) in zip(tops, [0.1, 0.2, 0.9]) { #expect(abs(top - y(height)) < 0.02) }
        // Below the threshold each pair has its cluster's colour, different from each other; the root link is grey.
        let strokes = elements.filter { $0.name == "path" }.map { $0.attributes["stroke"] ?? "" }
        #expect(strokes[0] != strokes[1])
        #expect(strokes[2] != strokes[0] && strokes[2] != strokes[1])
        let leafColours = elements.filter { $0.attributes["class"] == "leaf" }.map { $0.attributes["fill"] ?? "" }
        #expect(leafColours == [strokes[0], strokes[0], strokes[1], strokes[1]])
    }

    @Test func leavesAreDrawnInDendrogramOrder() throws {
        #expect(labelledLeaves(try parseXML(svg(pairs))) == [0, 1, 2, 3])
        #expect(labelledLeaves(try parseXML(svg(interleaved))) == [0, 2, 1, 3])
        #expect(Dendrogram.leafOrder(tree: interleaved) == [0, 2, 1, 3])
    }

    @Test func leafOrderIsSciPys() {
        // scipy.cluster.hierarchy: Z = linkage(default_rng(7).random((12, 3)), "average"); dendrogram(Z)["leaves"].
        let rows: [(Int, Int, Double, Int)] = [
            (0, 5, 0.122779, 2), (7, 11, 0.178603, 2), (4, 8, 0.233212, 2), (3, 10, 0.273883, 2), (13, 14, 0.425581, 4),
            (15, 16, 0.523655, 6), (9, 12, 0.530713, 3), (6, 18, 0.567407, 4), (1, 2, 0.570728, 2), (17, 20, 0.707764, 8),
            (19, 21, 0.786059, 12),
        ]
        let tree = MergeTree(leafCount: 12, merges: rows.map { .init(left: $0.0, right: $0.1, height: $0.2, size: $0.3) })
        #expect(Dendrogram.leafOrder(tree: tree) == [6, 9, 0, 5, 3, 10, 7, 11, 4, 8, 1, 2])
    }

    @Test func linksNeverCrossOnRandomTrees() throws {
        var random = SplitMix64(state: 42)
        for n in [2, 3, 17, 120] {
            let distances = CondensedDistances(count: n) { _, _ in Double.random(in: 0..<1, using: &random) }
            let tree = cluster(distances: distances, linkage: .average)
            let order = Dendrogram.leafOrder(tree: tree)
            #expect(order.sorted() == Array(0..<n))
            var position = [Int](repeating: 0, count: n)
            for (p, leaf) in order.enumerated() { position[leaf] = p }
            // The leaves under every merge occupy a contiguous run of positions, the left cluster's before the right's.
            var span = (0..<n).map { (first: position[$0], last: position[$0], count: 1) }
            var badMerges: [Int] = []
            for (k, m) in tree.merges.enumerated() {
                let a = span[m.left], b = span[m.right]
                let merged = (first: min(a.first, b.first), last: max(a.last, b.last), count: a.count + b.count)
                if merged.last - merged.first + 1 != merged.count || a.last >= b.first { badMerges.append(k) }
                span.append(merged)
            }
            #expect(badMerges.isEmpty, "\(n) leaves")
            let elements = try parseXML(svg(tree, threshold: 0.6))
            #expect(elements.filter { $0.name == "path" }.count == n - 1)
        }
    }

    @Test func labelsAndTitleAreEscaped() throws {
        let labels = ["a<b", "c&d", "\"q\" 'x'", "e>f\u{1}"]
        let text = svg(pairs, labels: labels, title: "clip <1> & \"2\"")
        #expect(text.contains("a&lt;b"))
        #expect(text.contains("c&amp;d"))
        #expect(!text.contains("a<b"))
        let elements = try parseXML(text)
        let shown = elements.filter { $0.attributes["class"] == "leaf" }.map(\.text)
        #expect(shown == ["a<b", "c&d", "\"q\" 'x'", "e>f\u{FFFD}"])
        #expect(elements.contains { $0.name == "title" && $0.text == "clip <1> & \"2\"" })
    }

    @Test func singleLeafAndEmptyTreesDraw() throws {
        let one = MergeTree(leafCount: 1, merges: [])
        let elements = try parseXML(Dendrogram.svg(tree: one, leafLabels: ["s0 0s"], threshold: 0.35, clusterOfLeaf: [0], title: "one"))
        #expect(elements.filter { $0.name == "path" }.isEmpty)
        #expect(elements.filter { $0.attributes["class"] == "leaf" }.map(\.text) == ["s0 0s"])
        let y = try axis(elements)
        let threshold = try #require(elements.first { $0.attributes["class"] == "threshold" })
        #expect(abs((threshold.attributes["y1"].flatMap(Double.init) ?? 0) - y(0.35)) < 0.02)

        let json = Dendrogram.json(tree: one, leafLabels: ["s0 0s"], leafSceneIDs: [7], threshold: 0.35, clusterOfLeaf: [0])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect((object["merges"] as? [Any])?.isEmpty == true)
        #expect(object["order"] as? [Int] == [0])

        let empty = MergeTree(leafCount: 0, merges: [])
        #expect(try parseXML(Dendrogram.svg(tree: empty, leafLabels: [], threshold: 0.35, clusterOfLeaf: [], title: "none")).contains { $0.text == "no scenes" })
    }

    @Test func twoLeavesDrawOneLink() throws {
        let two = MergeTree(leafCount: 2, merges: [.init(left: 0, right: 1, height: 0.3, size: 2)])
        let elements = try parseXML(svg(two, threshold: 0.2))
        #expect(elements.filter { $0.name == "path" }.count == 1)
        #expect(labelledLeaves(elements) == [0, 1])
        // Above the threshold: grey, and both leaves are clusters of their own.
        #expect(elements.first { $0.name == "path" }?.attributes["stroke"] == "#9a9a9a")
    }

    @Test func manyLeavesStayWithinTheWidthCap() throws {
        var random = SplitMix64(state: 7)
        let n = 500
        let tree = cluster(distances: CondensedDistances(count: n) { _, _ in Double.random(in: 0..<1, using: &random) }, linkage: .average)
        let elements = try parseXML(svg(tree, threshold: 0.6))
        let root = try #require(elements.first)
        #expect(Double(root.attributes["width"] ?? "") ?? 0 <= 4000)
        #expect(elements.filter { $0.name == "path" }.count == n - 1)
        // Labels keep at least their type size apart.
        let leaves = elements.filter { $0.attributes["class"] == "leaf" }
        let xs = leaves.compactMap { $0.attributes["x"].flatMap(Double.init) }.sorted()
        let size = try #require(elements.first { $0.attributes["class"] == "leaves" }?.attributes["font-size"].flatMap(Double.init))
        #expect(size >= 7)
        #expect(zip(xs, xs.dropFirst()).allSatisfy { $1 - $0 >= size })
        #expect(!leaves.isEmpty)
    }

    @Test func jsonHasMergesLeavesThresholdAndOrder() throws {
        let json = Dendrogram.json(tree: interleaved, leafLabels: ["s0 0s", "s2 5s", "s4 9s", "s5 12s"], leafSceneIDs: [0, 2, 4, 5], threshold: 0.5, clusterOfLeaf: interleaved.clusters(cutAt: 0.5))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["version"] as? Int == 1)
        #expect(object["threshold"] as? Double == 0.5)
        let merges = try #require(object["merges"] as? [[String: Any]])
        #expect(merges.map { $0["left"] as? Int } == [0, 1, 4])
        #expect(merges.map { $0["right"] as? Int } == [2, 3, 5])
        #expect(merges.map { $0["height"] as? Double } == [0.1, 0.2, 0.9])
        #expect(merges.map { $0["size"] as? Int } == [2, 2, 4])
        let leaves = try #require(object["leaves"] as? [[String: Any]])
        #expect(leaves.map { $0["id"] as? Int } == [0, 1, 2, 3])
        #expect(leaves.map { $0["scene"] as? Int } == [0, 2, 4, 5])
        #expect(leaves.map { $0["label"] as? String } == ["s0 0s", "s2 5s", "s4 9s", "s5 12s"])
        #expect(leaves.map { $0["cluster"] as? Int } == [0, 1, 0, 1])
        #expect(object["order"] as? [Int] == [0, 2, 1, 3])
    }
}
