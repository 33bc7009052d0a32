import Foundation
import Similarity

/// `report.html`: one self-contained page (inline SVG, thumbnails as `data:` URIs, no script, nothing fetched)
/// that shows why frames were merged or split: the timeline of scenes coloured by cluster, each cluster's
/// exemplar and scenes as thumbnails, every sampled frame's scores with the thresholds and the cuts, and a
/// 2-D PCA map of the scenes' embeddings coloured by cluster.
///
/// The markup is XHTML (well-formed XML, served as HTML), so tests read it with `XMLParser`.
public enum ReportWriter {
    /// Longest side of the thumbnails in pixels.
    public static let thumbnailSide = 160

    /// - Parameters:
    ///   - thumbnails: JPEG bytes of each scene's keyframe by scene id (scenes without one are drawn as a blank).
    public static func html(_ list: SceneList, thumbnails: [Int: [UInt8]]) -> String {
        var text = ""
        write(list, thumbnail: { thumbnails[$0] }) { text += $0 }
        return text
    }

    /// The page in pieces of about 64 KB, to `emit` in order (the same bytes as ``html(_:thumbnails:)``): on a long
    /// input the thumbnails (one per scene, asked for one at a time) and the frames' marks make it several MB, never
    /// held whole.
    /// `mapComponents`: the map's principal components (``mapComponents(_:)`` of the list's scenes), when they were
    /// computed beforehand.
    static func write<E: Error>(_ list: SceneList, thumbnail: (Int) -> [UInt8]?, mapComponents: (() -> PrincipalComponents?)? = nil,
                                _ emit: (String) throws(E) -> Void) throws(E) {
        var buffer = ""
        func add(_ text: String) throws(E) {
            buffer += text
            if buffer.utf8.count >= 1 << 16 {
                try emit(buffer)
                buffer = ""
            }
        }
        let v = list.video
        let title = "framededupe: " + (v.input as NSString).lastPathComponent
        try add("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
        try add("<title>\(escaped(title))</title>\n<style>\(style)</style>\n</head>\n<body>\n")
        try add("<h1>\(escaped(v.input))</h1>\n")
        var facts = "\(list.frames.count) frames → \(list.scenes.count) scenes → \(list.clusters.clusters.count) clusters"
        facts += " · \(escaped(v.container)) / \(escaped(v.codec)) \(v.width)×\(v.height)"
        facts += " · sampled \(list.options.reader.sampling == .all ? "every frame" : "at \(list.options.reader.sampling) frames/s")"
        facts += String(format: " · analysed 0–%.1f s", list.end)
        if !list.complete { facts += " · <strong>interrupted: partial results</strong>" }
        try add("<p class=\"facts\">\(facts)</p>\n")
        if !list.warnings.isEmpty {
            try add("<ul class=\"warnings\">" + list.warnings.map { "<li>\(escaped($0))</li>" }.joined() + "</ul>\n")
        }
        try add("<h2>Scenes on the timeline</h2>\n" + timeline(list))
        try add("<h2>Clusters: exemplar first, then each scene's keyframe</h2>\n")
        try clusterStrips(list, thumbnail: thumbnail, add)
        try add("<h2>Scores of every sampled frame</h2>\n")
        try scoreCurves(list, add)
        let components = if let mapComponents { mapComponents() } else { Self.mapComponents(list.scenes) }
        try add("<h2>Map of the scenes' embeddings (first two principal components)</h2>\n" + embeddingMap(list, components: components))
        try add("<p class=\"foot\">Written by framededupe. Hover over a scene, frame or point for its numbers.</p>\n</body>\n</html>\n")
        try emit(buffer)
    }

    // MARK: Parts

    /// One bar per scene, on the time axis, coloured by cluster (transition scenes hatched grey).
    static func timeline(_ list: SceneList) -> String {
        let width = 1000.0, height = 70.0, top = 8.0, barHeight = 34.0
        let span = max(list.end, list.scenes.last?.end ?? 0, 1e-3)
        func x(_ t: Double) -> Double { 10 + (width - 20) * min(max(t / span, 0), 1) }
        var svg = "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"100%\">\n"
        for s in list.scenes {
            let cluster = list.clusters.clusterOfScene[s.id]
            let fill = cluster.map(colour) ?? "#bbbbbb"
            let w = max(1, x(s.end) - x(s.start))
            let what = cluster.map { "cluster \($0)" } ?? "transition"
            svg += "<rect class=\"scene\" x=\"\(n(x(s.start)))\" y=\"\(n(top))\" width=\"\(n(w))\" height=\"\(n(barHeight))\" fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"1\">"
            svg += "<title>scene \(s.id): \(n(s.start, 3))–\(n(s.end, 3)) s, \(s.frameCount) frames, \(what)</title></rect>\n"
            if w > 14 {
                svg += "<text x=\"\(n(x(s.start) + w / 2))\" y=\"\(n(top + barHeight / 2 + 4))\" class=\"label\" text-anchor=\"middle\">\(cluster.map(String.init) ?? "–")</text>\n"
            }
        }
        svg += axis(from: 0, to: span, y: top + barHeight + 4, x: x)
        return svg + "</svg>\n"
    }

    /// Per cluster: its colour, size, then its exemplar (framed) and its other scenes' keyframes as thumbnails.
    static func clusterStrips<E: Error>(_ list: SceneList, thumbnail: (Int) -> [UInt8]?, _ emit: (String) throws(E) -> Void) throws(E) {
        var out = "<div class=\"clusters\">\n"
        for c in list.clusters.clusters {
            out += "<div class=\"cluster\"><div class=\"name\"><span class=\"swatch\" style=\"background:\(colour(c.id))\"></span>"
            out += "cluster \(c.id)<br/><small>\(c.scenes.count) scene\(c.scenes.count == 1 ? "" : "s"), \(c.frames) frames\(c.singleton ? ", singleton" : "")</small></div>"
            let others = c.scenes.filter { $0 != c.exemplar.scene }
            for id in [c.exemplar.scene] + others {
                let s = list.scenes[id]
                let label = "scene \(id) at \(n(s.keyframe.seconds, 3)) s" + (s.keyframe.source.map { " (\(($0 as NSString).lastPathComponent))" } ?? "")
                let kind = id == c.exemplar.scene ? "exemplar" : "member"
                if let jpeg = thumbnail(id) {
                    out += "<figure class=\"\(kind)\"><img src=\"data:image/jpeg;base64,\(Data(jpeg).base64EncodedString())\" alt=\"\(escaped(label))\" title=\"\(escaped(label))\"/>"
                } else {
                    out += "<figure class=\"\(kind)\"><div class=\"blank\" title=\"\(escaped(label))\"></div>"
                }
                let when = s.keyframe.source.map { escaped(($0 as NSString).lastPathComponent) } ?? "\(n(s.keyframe.seconds, 1)) s"
                out += "<figcaption>\(id == c.exemplar.scene ? "★ " : "")s\(id) · \(when)</figcaption></figure>"
            }
            out += "</div>\n"
            try emit(out)
            out = ""
        }
        let transitions = list.scenes.filter(\.transition)
        if !transitions.isEmpty {
            out += "<p class=\"note\">Transition scenes (no cluster): " + transitions.map { "s\($0.id) at \(n($0.start, 1)) s" }.joined(separator: ", ") + "</p>\n"
        }
        try emit(out + "</div>\n")
    }

    /// SSIM to the previous frame, the embedding change (cosine distance to the previous frame), the thresholds
    /// as dashed lines, cuts as vertical lines (jump / adaptive), transition frames as grey marks.
    static func scoreCurves<E: Error>(_ list: SceneList, _ emit: (String) throws(E) -> Void) throws(E) {
        let width = 1000.0, height = 260.0, left = 40.0, right = 10.0, top = 10.0, bottom = 40.0
        let span = max(list.end, list.frames.last?.seconds ?? 0, 1e-3)
        let plotHeight = height - top - bottom
        func x(_ t: Double) -> Double { left + (width - left - right) * min(max(t / span, 0), 1) }
        func y(_ v: Double) -> Double { top + plotHeight * (1 - min(max(v, 0), 1)) }
        var svg = "<svg class=\"scores\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(width)) \(n(height))\" width=\"100%\">\n"
        svg += "<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(width - left - right))\" height=\"\(n(plotHeight))\" fill=\"#fafafa\" stroke=\"#cccccc\"/>\n"
        for v in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += "<text x=\"\(n(left - 4))\" y=\"\(n(y(v) + 4))\" class=\"tick\" text-anchor=\"end\">\(n(v, 2))</text>\n"
        }
        // Cuts and transition frames behind the curves.
        for f in list.frames {
            if f.index > 0, let kind = f.cutKind {
                svg += "<line class=\"cut\" x1=\"\(n(x(f.seconds)))\" x2=\"\(n(x(f.seconds)))\" y1=\"\(n(top))\" y2=\"\(n(top + plotHeight))\" stroke=\"\(kind == .jump ? "#d62728" : "#9467bd")\" stroke-width=\"1.5\"><title>\(kind.rawValue) cut at \(n(f.seconds, 3)) s</title></line>\n"
            } else if f.transition {
                svg += "<line x1=\"\(n(x(f.seconds)))\" x2=\"\(n(x(f.seconds)))\" y1=\"\(n(top + plotHeight - 8))\" y2=\"\(n(top + plotHeight))\" stroke=\"#999999\"/>\n"
            }
        }
        let o = list.options
        var thresholds: [(String, Double, String)] = []
        if o.scorer.usesEmbedding {
            thresholds.append(("jump: embedding change > \(n(o.rule.embeddingCut, 2))", o.rule.embeddingCut, "#ff7f0e"))
            thresholds.append(("adaptive: change ≥ \(n(o.rule.minimumContentChange, 2))", o.rule.minimumContentChange, "#ffbb78"))
        }
        if o.scorer.usesSSIM {
            thresholds.append(("SSIM to the scene's first frame < \(n(o.rule.ssimReference, 2))", o.rule.ssimReference, "#6baed6"))
            if o.scorer == .ssim { thresholds.append(("jump: SSIM to previous < \(n(o.rule.ssimCut, 2))", o.rule.ssimCut, "#aec7e8")) }
        }
        for (label, value, stroke) in thresholds {
            svg += "<line class=\"threshold\" x1=\"\(n(left))\" x2=\"\(n(width - right))\" y1=\"\(n(y(value)))\" y2=\"\(n(y(value)))\" stroke=\"\(stroke)\" stroke-dasharray=\"6 4\"><title>\(escaped(label))</title></line>\n"
        }
        func polyline(_ values: [(Double, Double)], stroke: String, name: String) -> String {
            guard !values.isEmpty else { return "" }
            let points = values.map { "\(n(x($0.0))),\(n(y($0.1)))" }.joined(separator: " ")
            return "<polyline class=\"curve\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"1.5\" points=\"\(points)\"><title>\(name)</title></polyline>\n"
        }
        // SSIM is left out (null) where the perceptual hashes were equal: those frames are identical, SSIM 1.
        let pixels = list.options.scorer.usesSSIM
        let ssim = list.frames.compactMap { f in f.scores.flatMap { s in pixels ? (f.seconds, s.ssimToPrevious ?? 1) : nil } }
        let change = list.frames.compactMap { f in f.scores?.embeddingToPrevious.map { (f.seconds, $0) } }
        let reference = list.frames.compactMap { f in f.scores.flatMap { s in pixels ? (f.seconds, s.ssimToReference ?? 1) : nil } }
        svg += polyline(reference, stroke: "#6baed6", name: "SSIM to the scene's first frame")
        svg += polyline(ssim, stroke: "#1f77b4", name: "SSIM to the previous frame")
        svg += polyline(change, stroke: "#ff7f0e", name: "embedding change (cosine distance to the previous frame)")
        for f in list.frames {
            guard let s = f.scores else { continue }
            var tip = "frame \(f.index) at \(n(f.seconds, 3)) s, scene \(f.scene)"
            if let v = s.ssimToPrevious { tip += ", SSIM to previous \(n(v, 3))" }
            if let v = s.embeddingToPrevious { tip += ", embedding change \(n(v, 3))" }
            if let v = s.ssimToReference { tip += ", SSIM to scene start \(n(v, 3))" }
            if let k = f.cutKind { tip += ", \(k.rawValue) cut" }
            let v = s.embeddingToPrevious ?? s.ssimToPrevious ?? 0
            svg += "<circle cx=\"\(n(x(f.seconds)))\" cy=\"\(n(y(v)))\" r=\"2\" fill=\"\(s.embeddingToPrevious != nil ? "#ff7f0e" : "#1f77b4")\"><title>\(escaped(tip))</title></circle>\n"
            if svg.utf8.count >= 1 << 16 {
                try emit(svg)
                svg = ""
            }
        }
        svg += axis(from: 0, to: span, y: top + plotHeight + 4, x: x)
        svg += "</svg>\n"
        var legend = "<p class=\"legend\">"
        if !ssim.isEmpty { legend += "<span style=\"color:#1f77b4\">━ SSIM to the previous frame</span> " }
        if !reference.isEmpty { legend += "<span style=\"color:#6baed6\">━ SSIM to the scene's first frame</span> " }
        if !change.isEmpty { legend += "<span style=\"color:#ff7f0e\">━ embedding change from the previous frame</span> " }
        legend += "<span style=\"color:#d62728\">│ jump cut</span> <span style=\"color:#9467bd\">│ adaptive cut</span> <span style=\"color:#999999\">╷ transition frame</span>"
        for (label, _, stroke) in thresholds { legend += " <span style=\"color:\(stroke)\">┅ \(escaped(label))</span>" }
        try emit(svg + legend + "</p>\n")
    }

    /// The scenes the map shows: those with an embedding, transitions left out.
    static func mappedScenes(_ scenes: [Scene]) -> [Scene] { scenes.filter { $0.embedding != nil && !$0.transition } }

    /// The first two principal components of the mapped scenes' mean embeddings; nil when there is no map (fewer
    /// than 3 such scenes, or LAPACK failed). From the scenes' Gram matrix when there are no more
    /// than 1280 (EfficientNet-Lite0's dimensions; ``PrincipalComponents``): milliseconds for a clip's scenes, where the
    /// eigen-decomposition of the 1280×1280 covariance took ~0.1 s whatever their number. A run computes it on a
    /// thread of its own while it clusters (``ComputedAside``).
    static func mapComponents(_ scenes: [Scene]) -> PrincipalComponents? {
        let mapped = mappedScenes(scenes)
        guard mapped.count >= 3, let pca = PrincipalComponents(rows: mapped.map { $0.embedding! }, count: 2), pca.components.count >= 2 else { return nil }
        return pca
    }

    /// The scenes' mean embeddings projected on their first two principal components (`components`, of the list's
    /// scenes: ``mapComponents(_:)``); one point per scene.
    static func embeddingMap(_ list: SceneList, components: PrincipalComponents?) -> String {
        let scenes = mappedScenes(list.scenes)
        guard let pca = components else {
            return "<p class=\"note\">No map: it needs embeddings (not with --scorer ssim) and at least 3 non-transition scenes.</p>\n"
        }
        let points = scenes.map { pca.project($0.embedding!) }.map { (Double($0[0]), Double($0[1])) }
        let xs = points.map(\.0), ys = points.map(\.1)
        let size = 420.0, margin = 30.0
        let spanX = max(xs.max()! - xs.min()!, 1e-6), spanY = max(ys.max()! - ys.min()!, 1e-6)
        let scale = (size - 2 * margin) / max(spanX, spanY)  // one scale for both axes: distances stay true
        let midX = (xs.max()! + xs.min()!) / 2, midY = (ys.max()! + ys.min()!) / 2
        func px(_ p: (Double, Double)) -> (Double, Double) { (size / 2 + (p.0 - midX) * scale, size / 2 - (p.1 - midY) * scale) }
        var svg = "<svg class=\"map\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(size)) \(n(size))\" width=\"\(n(size))\" height=\"\(n(size))\">\n"
        svg += "<rect x=\"0\" y=\"0\" width=\"\(n(size))\" height=\"\(n(size))\" fill=\"#fafafa\" stroke=\"#cccccc\"/>\n"
        // The total variance of the points (trace of their covariance), to say how much of it the map shows.
        let rows = scenes.map { $0.embedding! }
        var total = 0.0
        for r in rows { for (j, value) in r.enumerated() { let d = Double(value) - pca.mean[j]; total += d * d } }
        total /= Double(rows.count - 1)
        for (scene, p) in zip(scenes, points) {
            let (cx, cy) = px(p)
            let cluster = list.clusters.clusterOfScene[scene.id]
            svg += "<circle class=\"point\" cx=\"\(n(cx))\" cy=\"\(n(cy))\" r=\"7\" fill=\"\(cluster.map(colour) ?? "#bbbbbb")\" stroke=\"#333333\" stroke-width=\"0.5\"><title>scene \(scene.id) at \(n(scene.start, 1)) s, cluster \(cluster.map(String.init) ?? "–")</title></circle>\n"
            svg += "<text x=\"\(n(cx + 9))\" y=\"\(n(cy + 4))\" class=\"tick\">s\(scene.id)</text>\n"
        }
        svg += "</svg>\n"
        var note = "<p class=\"note\">Each point is a scene (its mean embedding), coloured by its cluster; nearby points show similar content."
        if total > 0, pca.variances.count >= 2 {
            note += String(format: " The two components hold %.0f%% of the scenes' variance.", 100 * (pca.variances[0] + pca.variances[1]) / total)
        }
        return svg + note + "</p>\n"
    }

    // MARK: Helpers

    /// Ticks every 1, 2, 5, 10… seconds, about 10 of them.
    private static func axis(from start: Double, to end: Double, y: Double, x: (Double) -> Double) -> String {
        let raw = (end - start) / 10
        let magnitude = pow(10, (log10(max(raw, 1e-3))).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? magnitude * 10
        var out = ""
        var t = start
        while t <= end + 1e-9 {
            out += "<text x=\"\(n(x(t)))\" y=\"\(n(y + 14))\" class=\"tick\" text-anchor=\"middle\">\(n(t, step < 1 ? 1 : 0)) s</text>\n"
            t += step
        }
        return out
    }

    /// Distinct colours for cluster ids (Tableau 10, then golden-angle hues).
    static func colour(_ cluster: Int) -> String {
        let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#86bcb6"]
        if cluster < palette.count { return palette[cluster] }
        let hue = (Double(cluster) * 137.508).truncatingRemainder(dividingBy: 360)
        return "hsl(\(Int(hue)),55%,55%)"
    }

    /// Text for XML character data and attribute values (the dendrogram's escaping).
    static func escaped(_ s: String) -> String { Dendrogram.escape(s) }

    private static func n(_ x: Double, _ decimals: Int = 1) -> String { String(format: "%.\(decimals)f", x) }

    private static let style = """
        body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}\
        h1{font-size:20px;word-break:break-all}h2{font-size:16px;margin-top:28px}\
        .facts{color:#444}.warnings{color:#8a4b00}.note,.legend,.foot{color:#555;font-size:13px}\
        .label{font-size:12px;fill:#ffffff;font-weight:bold}.tick{font-size:11px;fill:#555555}\
        .cluster{display:flex;align-items:flex-start;gap:6px;margin:6px 0;overflow-x:auto}\
        .cluster .name{min-width:110px;font-size:14px}.swatch{display:inline-block;width:12px;height:12px;margin-right:6px;vertical-align:middle}\
        figure{margin:0;text-align:center;font-size:11px;color:#555}\
        figure img,figure .blank{display:block;max-height:90px;max-width:160px;border:3px solid transparent}\
        figure .blank{width:120px;height:68px;background:#eeeeee}\
        figure.exemplar img,figure.exemplar .blank{border-color:#222222}\
        .map{display:block}
        """
}
