import Pixels
import Similarity

/// Computes again, while a resumed run decodes its input from the start, the keyframe state (``KeyframeState``) of
/// the closed scenes whose checkpoint records leave it out (``SceneCheckpoint/recomputed``), from the very frames the
/// interrupted run took it from: the same luma, the same local features (the extractor is deterministic, and is given
/// the same area), the same thumbnail (the same encoder on the same decoded picture). Each is held by
/// ``ClosedScenes`` as the interrupted run held it.
///
/// A resumed run interrupted again before one of these keyframes is decoded leaves that scene without its state in its
/// partial results (no thumbnail, no geometric check); the checkpoint is kept, and the next resume computes it.
final class KeyframeRecomputation {
    private var pending: [Int: (scene: Int, recipe: KeyframeRecipe)]
    private let closedScenes: ClosedScenes
    private let images: SceneImageWriter?
    private let extractor = LocalFeatureExtractor()

    /// - Parameters:
    ///   - pending: the scenes to compute, by their keyframe's frame index (``Checkpoint/Restored/recompute``).
    ///   - images: encodes the thumbnails; nil when the run writes no images.
    init(_ pending: [Int: (scene: Int, recipe: KeyframeRecipe)], into closedScenes: ClosedScenes, images: SceneImageWriter?) {
        self.pending = pending
        self.closedScenes = closedScenes
        self.images = images
    }

    /// Computes the state of the scene whose keyframe `frame` is, if one is pending.
    func offer(_ frame: StageFrame<FrameImages?>) {
        guard let (scene, recipe) = pending.removeValue(forKey: frame.signals.index) else { return }
        let signals = frame.signals
        var features: LocalFeatures? = nil
        if let area = recipe.featureArea, let luma = signals.analysisLuma, area.x >= 0, area.y >= 0, area.width > 0, area.height > 0,
           area.x + area.width <= luma.width, area.y + area.height <= luma.height {
            features = extractor.features(of: luma, active: area)
        }
        let thumbnail = recipe.thumbnail ? images?.thumbnail(of: frame.attachment) : nil
        closedScenes.hold(KeyframeState(luma: signals.luma, features: features, thumbnail: thumbnail), scene: scene)
    }
}
