import Similarity

/// Writes a ``MergeTree`` for people and programs: as JSON (schema version 1) and as an SVG dendrogram.
///
/// Both use SciPy's conventions, so a user can check one against `scipy.cluster.hierarchy`: leaves are `0..<leafCount`,
/// merge `k` forms cluster `leafCount + k`, and the leaf order is that of `dendrogram(Z)` with its default options
/// (from the root, the subtree of a merge's `left` cluster before that of its `right` cluster), in which no two links
/// cross.
public enum Dendrogram {
    /// The version of the JSON document written by ``json(tree:leafLabels:leafSceneIDs:threshold:clusterOfLeaf:)``.
    public static let schemaVersion = 1

    /// The leaves in the order a dendrogram draws them, left to right.
    ///
    /// The order is SciPy's `dendrogram(Z)["leaves"]` with default options: a depth-first walk from the last merge
    /// that visits the `left` cluster of each merge before its `right` one. The leaves under every merge are then
    /// contiguous, so a dendrogram drawn in this order has no crossing links. Iterative, O(n).
    ///
    /// - Parameter tree: The merge tree.
    /// - Returns: A permutation of `0..<tree.leafCount` (empty for an empty tree).
    public static func leafOrder(tree: MergeTree) -> [Int] {
        let n = tree.leafCount
        guard n > 0 else { return [] }
        var order: [Int] = []
        order.reserveCapacity(n)
        var stack = [n + tree.merges.count - 1]
        while let node = stack.popLast() {
            if node < n {
                order.append(node)
            } else {
                let merge = tree.merges[node - n]
                stack.append(merge.right)
                stack.append(merge.left)
            }
        }
        return order
    }

    /// The merge tree, its leaves and its cut as a JSON document.
    ///
    /// `{"version": 1, "threshold", "leaves": [{"id", "scene", "label", "cluster"}], "merges": [{"left", "right",
    /// "height", "size"}], "order": [leaf ids]}`. `merges` is SciPy's linkage matrix row by row (`numpy.array([[m["left"],
    /// m["right"], m["height"], m["size"]] for m in merges])` is a valid `Z`), with heights to 6 decimals; leaf ids are
    /// positions in the tree, `scene` the scene id the leaf stands for, and `order` the leaves left to right as
    /// ``leafOrder(tree:)`` gives them. Keys are in a fixed order, so equal inputs give byte-identical text.
    ///
    /// - Parameters:
    ///   - tree: The merge tree.
    ///   - leafLabels: A label for each leaf (such as `"s3 12.5s"`), `tree.leafCount` of them.
    ///   - leafSceneIDs: The scene id of each leaf, `tree.leafCount` of them.
    ///   - threshold: The distance at which the tree was cut into clusters, in the distances' units.
    ///   - clusterOfLeaf: The cluster id of each leaf, `tree.leafCount` of them.
    /// - Returns: The JSON text, indented, ending without a newline.
    public static func json(tree: MergeTree, leafLabels: [String], leafSceneIDs: [Int], threshold: Double, clusterOfLeaf: [Int]) -> String {
        let n = tree.leafCount
        precondition(leafLabels.count == n && leafSceneIDs.count == n && clusterOfLeaf.count == n, "one label, scene id and cluster per leaf")
        let leaves: [JSONValue] = (0..<n).map { i in
            .object([
                ("id", .int(i)),
                ("scene", .int(leafSceneIDs[i])),
                ("label", .string(leafLabels[i])),
                ("cluster", .int(clusterOfLeaf[i])),
            ])
        }
        let merges: [JSONValue] = tree.merges.map { m in
            .object([
                ("left", .int(m.left)),
                ("right", .int(m.right)),
                ("height", .number(m.height, decimals: 6)),
                ("size", .int(m.size)),
            ])
        }
        let root: JSONValue = .object([
            ("version", .int(schemaVersion)),
            ("threshold", .number(threshold, decimals: 6)),
            ("leaves", .array(leaves)),
            ("merges", .array(merges)),
            ("order", .array(leafOrder(tree: tree).map { .int($0) })),
        ])
        return root.serialized()
    }

    /// The merge tree drawn as a dendrogram, in a self-contained SVG document.
    ///
    /// Leaves run along the x axis in ``leafOrder(tree:)`` (so no links cross), each merge is a U-shaped link whose
    /// top is at its height on the y axis (0 at the bottom, ticked and labelled), and the cut is a dashed red line
    /// labelled with the threshold. Links at or below the threshold whose leaves all belong to one cluster take that
    /// cluster's colour, as do the cluster's leaf labels; the other links are grey and the labels of leaves that
    /// merge with nothing below the threshold are dark grey. Colours cycle through a fixed palette of eight (without
    /// red or grey) in the order clusters appear from left to right, so neighbouring clusters always differ.
    ///
    /// The document is 12 px wide per leaf, between 400 and 4,000 px. Labels are rotated to read upwards, in 7–12 px
    /// type depending on the room per leaf; when leaves are narrower than the smallest type, only every k-th leaf is
    /// labelled and the x-axis caption says so. Labels longer than 40 characters are shortened with "…". No fonts,
    /// scripts or styles outside the document (`font-family="sans-serif"`); text is XML-escaped.
    ///
    /// For machines: links are the document's only `path` elements (`class="link"`), the threshold is the `line` with
    /// `class="threshold"`, y-axis ticks are `line` elements with `class="tick"` and their value in `data-value`, and
    /// leaf labels are `text` elements with `class="leaf"`, `data-leaf` and `data-cluster`.
    ///
    /// - Parameters:
    ///   - tree: The merge tree.
    ///   - leafLabels: A label for each leaf, by leaf id (such as `"s3 12.5s"`: scene and start time).
    ///   - threshold: The distance at which the tree was cut into clusters; not drawn when not finite.
    ///   - clusterOfLeaf: The cluster id of each leaf, by leaf id.
    ///   - title: A title shown above the plot (in 11–15 px type, shortened with "…" if it still does not fit) and
    ///     as the document's `title`.
    /// - Returns: The SVG text, ending with a newline.
    public static func svg(tree: MergeTree, leafLabels: [String], threshold: Double, clusterOfLeaf: [Int], title: String) -> String {
        let n = tree.leafCount
        precondition(leafLabels.count == n && clusterOfLeaf.count == n, "one label and cluster per leaf")
        let order = leafOrder(tree: tree)
        let nodeCount = n + tree.merges.count

        let (nodeCluster, coloured, colourOfCluster) = linkColours(tree: tree, order: order, threshold: threshold, clusterOfLeaf: clusterOfLeaf)

        // Vertical scale: 0 (or the lowest value) at the bottom, 5% above the top merge or the threshold at the top,
        // ticks at multiples of 1, 2, 2.5 or 5 times a power of ten, five or so of them.
        let heights = tree.merges.map(\.height).filter { $0.isFinite }
        let drawThreshold = threshold.isFinite
        let low = min(0, heights.min() ?? 0, drawThreshold ? threshold : 0)
        var high = max(heights.max() ?? 0, drawThreshold ? threshold : 0)
        if high <= low { high = low + 1 }
        let step = niceStep((high - low) * 1.05 / 5)
        let axisLow = (low / step).rounded(.down) * step
        let axisHigh = high + (high - low) * 0.05

        // Horizontal layout: 12 px per leaf within 400–4,000 px.
        let marginLeft = 72.0, marginRight = 24.0
        let width = min(max(marginLeft + marginRight + 12 * Double(n), 400), 4000)
        let plotWidth = width - marginLeft - marginRight
        let pitch = plotWidth / Double(max(n, 1))
        let labelSize = min(max(pitch * 0.85, 7), 12)
        let labelEvery = max(1, Int((labelSize * 1.05 / pitch).rounded(.up)))
        let shown = order.enumerated().filter { $0.offset % labelEvery == 0 }.map { shorten(leafLabels[$0.element]) }
        let longest = shown.map(\.count).max() ?? 0
        let labelDepth = Double(longest) * labelSize * 0.6

        let titleSize = min(15, max(11, (width - 32) / (Double(max(title.count, 1)) * 0.62)))
        let titleRoom = Int((width - 32) / (titleSize * 0.62))
        let shownTitle = title.count <= titleRoom ? title : String(title.prefix(max(titleRoom - 1, 1))) + "…"
        let marginTop = 24 + titleSize * 1.4
        let plotHeight = 360.0
        let baseline = marginTop + plotHeight
        let captionY = baseline + 8 + labelDepth + 24
        let height = captionY + 14

        func y(_ value: Double) -> Double { baseline - (value - axisLow) / (axisHigh - axisLow) * plotHeight }
        var x = [Double](repeating: 0, count: nodeCount)
        for (position, leaf) in order.enumerated() { x[leaf] = marginLeft + (Double(position) + 0.5) * pitch }
        var top = [Double](repeating: y(0), count: nodeCount)
        for (k, m) in tree.merges.enumerated() {
            x[n + k] = (x[m.left] + x[m.right]) / 2
            top[n + k] = y(m.height.isFinite ? m.height : high)
        }

        var svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\">\n"
        svg += "<title>\(escape(title))</title>\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"#ffffff\"/>\n"
        svg += "<text x=\"16\" y=\"\(f(16 + titleSize))\" font-size=\"\(f(titleSize))\" font-weight=\"bold\" fill=\"#222222\">\(escape(shownTitle))</text>\n"

        svg += yAxis(low: axisLow, high: axisHigh, step: step, left: marginLeft, right: width - marginRight, y: y)

        // The links, one U per merge: up from each child's height to the merge's, and across.
        let linkWidth = pitch >= 6 ? 1.5 : 1
        svg += "<g class=\"links\" fill=\"none\" stroke-width=\"\(f(linkWidth))\" stroke-linejoin=\"round\">\n"
        for (k, m) in tree.merges.enumerated() {
            let colour = coloured[n + k] ? colourOfCluster[nodeCluster[n + k]] ?? aboveColour : aboveColour
            svg += "<path class=\"link\" stroke=\"\(colour)\" d=\"M\(f(x[m.left])) \(f(top[m.left]))V\(f(top[n + k]))H\(f(x[m.right]))V\(f(top[m.right]))\"/>\n"
        }
        svg += "</g>\n"

        // The cut, over the links, labelled at its right end on a white halo.
        if drawThreshold {
            let ty = y(threshold)
            svg += "<line class=\"threshold\" x1=\"\(f(marginLeft - 6))\" y1=\"\(f(ty))\" x2=\"\(f(width - marginRight))\" y2=\"\(f(ty))\" stroke=\"#d62728\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n"
            svg += "<text x=\"\(f(width - marginRight - 2))\" y=\"\(f(ty - 5))\" font-size=\"12\" text-anchor=\"end\" fill=\"#d62728\" stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\">threshold \(formatNumber(threshold, decimals: 6))</text>\n"
        }

        // A tick under each labelled leaf, then the labels, reading upwards from just below the plot.
        svg += "<g class=\"x-axis\" stroke=\"#444444\" stroke-width=\"1\">\n"
        for (position, leaf) in order.enumerated() where position % labelEvery == 0 {
            svg += "<line x1=\"\(f(x[leaf]))\" y1=\"\(f(baseline))\" x2=\"\(f(x[leaf]))\" y2=\"\(f(baseline + 4))\"/>\n"
        }
        svg += "</g>\n"
        svg += "<g class=\"leaves\" font-size=\"\(f(labelSize))\" text-anchor=\"end\">\n"
        for (position, leaf) in order.enumerated() where position % labelEvery == 0 {
            let lx = x[leaf] + labelSize * 0.35, ly = baseline + 8
            let colour = colourOfCluster[clusterOfLeaf[leaf]] ?? singletonColour
            svg += "<text class=\"leaf\" data-leaf=\"\(leaf)\" data-cluster=\"\(clusterOfLeaf[leaf])\" x=\"\(f(lx))\" y=\"\(f(ly))\" fill=\"\(colour)\" transform=\"rotate(-90 \(f(lx)) \(f(ly)))\">\(escape(shorten(leafLabels[leaf])))</text>\n"
        }
        svg += "</g>\n"
        let caption = labelEvery == 1 ? "scenes (start time), in dendrogram order" : "scenes (start time), in dendrogram order; every \(ordinal(labelEvery)) labelled"
        svg += "<text x=\"\(f(marginLeft))\" y=\"\(f(captionY))\" font-size=\"12\" fill=\"#222222\">\(n == 0 ? "no scenes" : caption)</text>\n"
        svg += "</svg>\n"
        return svg
    }

    /// Each node's cluster when all its leaves share one (-1 when not), whether its link is drawn in its cluster's
    /// colour (uniform and at or under the threshold), and each such cluster's colour, given by first appearance
    /// from left to right.
    private static func linkColours(tree: MergeTree, order: [Int], threshold: Double, clusterOfLeaf: [Int])
        -> (nodeCluster: [Int], coloured: [Bool], colourOfCluster: [Int: String]) {
        let n = tree.leafCount
        var nodeCluster = clusterOfLeaf + [Int](repeating: -1, count: tree.merges.count)
        var coloured = [Bool](repeating: false, count: n + tree.merges.count)
        for (k, m) in tree.merges.enumerated() {
            let c = nodeCluster[m.left] == nodeCluster[m.right] ? nodeCluster[m.left] : -1
            nodeCluster[n + k] = c
            coloured[n + k] = c >= 0 && m.height <= threshold
        }
        // Palette slots by first appearance from left to right, for clusters with at least one coloured link.
        var clusterHasLink = Set<Int>()
        for k in tree.merges.indices where coloured[n + k] { clusterHasLink.insert(nodeCluster[n + k]) }
        var colourOfCluster: [Int: String] = [:]
        for leaf in order {
            let c = clusterOfLeaf[leaf]
            if clusterHasLink.contains(c), colourOfCluster[c] == nil {
                colourOfCluster[c] = palette[colourOfCluster.count % palette.count]
            }
        }
        return (nodeCluster, coloured, colourOfCluster)
    }

    /// The y axis from `low` to `high`: a line at `left`, ticks every `step` with their values, light grid lines
    /// across to `right`, and the axis title.
    private static func yAxis(low axisLow: Double, high axisHigh: Double, step: Double, left marginLeft: Double, right: Double,
                              y: (Double) -> Double) -> String {
        var svg = "<g class=\"y-axis\" stroke=\"#444444\" stroke-width=\"1\">\n"
        svg += "<line class=\"axis\" x1=\"\(f(marginLeft - 6))\" y1=\"\(f(y(axisLow)))\" x2=\"\(f(marginLeft - 6))\" y2=\"\(f(y(axisHigh)))\"/>\n"
        var tickValues: [Double] = []
        var i = 0
        while true {
            let value = axisLow + Double(i) * step
            if value > axisHigh + step * 1e-9 { break }
            tickValues.append(value)
            i += 1
        }
        for value in tickValues {
            let ty = y(value)
            svg += "<line class=\"grid\" x1=\"\(f(marginLeft - 6))\" y1=\"\(f(ty))\" x2=\"\(f(right))\" y2=\"\(f(ty))\" stroke=\"#e6e6e6\"/>\n"
            svg += "<line class=\"tick\" data-value=\"\(formatNumber(value, decimals: 9))\" x1=\"\(f(marginLeft - 11))\" y1=\"\(f(ty))\" x2=\"\(f(marginLeft - 6))\" y2=\"\(f(ty))\"/>\n"
            svg += "<text x=\"\(f(marginLeft - 14))\" y=\"\(f(ty + 4))\" font-size=\"11\" text-anchor=\"end\" stroke=\"none\" fill=\"#222222\">\(formatNumber(value, decimals: 6))</text>\n"
        }
        let axisMid = (y(axisLow) + y(axisHigh)) / 2
        svg += "<text x=\"16\" y=\"\(f(axisMid))\" font-size=\"12\" text-anchor=\"middle\" stroke=\"none\" fill=\"#222222\" transform=\"rotate(-90 16 \(f(axisMid)))\">merge height (distance)</text>\n"
        svg += "</g>\n"
        return svg
    }

    /// Matplotlib's `tab10` colours without its red (the threshold) and grey (links above it), the light ones
    /// (orange, green, pink, olive, cyan) darkened so that small labels keep a contrast of about 4:1 on white.
    static let palette = ["#1f77b4", "#d95f02", "#238b23", "#9467bd", "#8c564b", "#c2449f", "#7f7f00", "#0f8a96"]
    /// Links above the threshold, or joining several clusters.
    static let aboveColour = "#9a9a9a"
    /// Labels of leaves that merge with nothing below the threshold.
    static let singletonColour = "#333333"

    /// 1, 2, 2.5 or 5 times a power of ten, the smallest at least `rough` (1 when `rough` is not positive and finite).
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        var power = 1.0
        while power > rough { power /= 10 }
        while power * 10 <= rough { power *= 10 }
        for factor in [1.0, 2, 2.5, 5, 10] where power * factor >= rough * (1 - 1e-12) { return power * factor }
        return power * 10
    }

    /// A coordinate with at most two decimals.
    static func f(_ v: Double) -> String { formatNumber(v, decimals: 2) }

    /// "2nd", "3rd", "4th", … for the thinned-labels caption.
    static func ordinal(_ k: Int) -> String {
        let suffix = (k % 100) / 10 == 1 ? "th" : [1: "st", 2: "nd", 3: "rd"][k % 10] ?? "th"
        return "\(k)\(suffix)"
    }

    /// A label of at most 40 characters, ending in "…" when cut.
    static func shorten(_ label: String) -> String {
        label.count <= 40 ? label : String(label.prefix(39)) + "…"
    }

    /// Text safe in XML character data and attribute values: markup characters escaped, characters XML 1.0 forbids
    /// (control characters other than tab, newline and carriage return) replaced with U+FFFD.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF:
                out.unicodeScalars.append("\u{FFFD}")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
