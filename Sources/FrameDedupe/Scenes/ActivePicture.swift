import Pixels
import Similarity

/// Two frames' pixels compared inside their black bars (issue 17: bars must not make a copy look new).
///
/// Bars are the same in every frame, so a pixel signal measured over the whole frame is diluted by the share of the
/// frame they cover. At the three cuts of the dev set's tune part that its letterboxed SD copy of a film (bars on 43%
/// of the rows) missed, whole-frame 1 − SSIM changed 0.53–0.82 and the thumbnails' largest step 0.115–0.161, where the
/// film itself (bars on 23% of its rows) changed 0.70–0.87 and 0.154–0.216; measured inside the bars, both change
/// 0.75–0.89 and 0.20–0.29. So the cut rule compares the part of the picture both frames show content in: the union of
/// their active pictures (``FrameSignals/content``, found per frame as ffmpeg's cropdetect finds it), at the SSIM
/// scale of a picture without bars (its shorter side ``DedupeOptions/ssimShortSide``), its hashes, and the cells of
/// the frames' thumbnails wholly inside it. Frames without bars, or of which one has none, are compared whole.
extension FrameSignals {
    /// The part of the analysis luma that `a` and `b` show content in: the union of their active pictures; nil when
    /// that is the whole picture, when either is black (no content) or has no analysis luma, or their sizes differ.
    @_spi(Evaluation) public static func sharedActivePicture(_ a: FrameSignals, _ b: FrameSignals) -> PictureRect? {
        guard let p = a.content, let q = b.content, let la = a.analysisLuma, let lb = b.analysisLuma,
              la.width == lb.width, la.height == lb.height else { return nil }
        let union = p.union(q)
        return union == PictureRect(width: la.width, height: la.height) ? nil : union
    }

    /// The luma of `a` and `b` at the SSIM scale over their shared active picture (their `luma` without bars).
    @_spi(Evaluation) public static func comparableLuma(_ a: FrameSignals, _ b: FrameSignals) -> (LumaImage, LumaImage) {
        guard let shared = sharedActivePicture(a, b) else { return (a.luma, b.luma) }
        return (a.luma(inside: shared), b.luma(inside: shared))
    }

    /// The distance of the hashes of `a` and `b` over their shared active picture (of their `hash` without bars), 0–64.
    @_spi(Evaluation) public static func hashDistance(_ a: FrameSignals, _ b: FrameSignals) -> Int {
        guard let shared = sharedActivePicture(a, b) else { return a.hash.distance(to: b.hash) }
        return a.hash(inside: shared).distance(to: b.hash(inside: shared))
    }

    /// The thumbnails of `chain` (of frames between `a` and `b`, ends included) cut to the cells wholly inside the shared
    /// active picture of `a` and `b`; `chain` as it is without bars.
    @_spi(Evaluation) public static func comparableThumbnails(_ chain: [(seconds: Double, thumbnail: LumaImage)], between a: FrameSignals, and b: FrameSignals)
        -> [(seconds: Double, thumbnail: LumaImage)] {
        guard let shared = sharedActivePicture(a, b), let analysis = a.analysisLuma else { return chain }
        return chain.map { item in
            let t = item.thumbnail
            guard let cells = shared.inside(scaledFrom: (analysis.width, analysis.height), toWidth: t.width, height: t.height) else { return item }
            return (item.seconds, t.cropped(to: cells))
        }
    }

    /// The luma at the SSIM scale of `rect` of the analysis luma (the precomputed one for this frame's own active picture).
    private func luma(inside rect: PictureRect) -> LumaImage {
        if rect == content, let activeLuma { return activeLuma }
        guard let analysisLuma else { return luma }
        return analysisLuma.cropped(to: rect).areaDownscaled(shortSide: min(luma.width, luma.height))
    }

    private func hash(inside rect: PictureRect) -> FrameHash {
        if rect == content, let activeHash { return activeHash }
        guard let analysisLuma else { return hash }
        return FrameHash(analysisLuma.cropped(to: rect))
    }
}
