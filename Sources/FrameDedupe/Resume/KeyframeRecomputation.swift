import Pixels
import Similarity

/// Computes again, while a resumed run decodes its input from the start, the keyframe state (``KeyframeState``) of
/// the closed scenes whose checkpoint records leave it out (``SceneCheckpoint/recomputed``), from the very frames the
/// interrupted run took it from: the same luma, the same local features (the extractor is deterministic, and is given
/// the same area), the same thumbnail (the same encoder on the same decoded picture), and the local features of the
/// scene's other moments (``Scene/momentFeatures``) from their frames and of its shot start (``Scene/shotStartFeatures``)
/// from the shot start its first sample carries, inside the same area. Each is held by
/// ``ClosedScenes`` as the interrupted run held it, once all its frames are decoded.
///
/// A resumed run interrupted again before one of these frames is decoded leaves that scene without its state in its
/// partial results (no thumbnail, no geometric check); the checkpoint is kept, and the next resume computes it.
final class KeyframeRecomputation {
    private var pending: [Int: (scene: Int, recipe: KeyframeRecipe)]
    /// The scenes' other moments still to compute, by frame index: the scene, the place in its moments, the area.
    private var pendingMoments: [Int: (scene: Int, slot: Int, area: PictureRect)] = [:]
    /// The scenes' shot starts still to compute, by the index of the sample that carries them: the scene, the area.
    private var pendingShotStarts: [Int: (scene: Int, area: PictureRect)] = [:]
    /// What is computed of the scenes not yet complete, by scene id (`shotStart` nil: still to compute).
    private var partial: [Int: (state: KeyframeState?, moments: [LocalFeatures?], shotStart: LocalFeatures??)] = [:]
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
        for (scene, recipe) in pending.values {
            partial[scene] = (nil, [LocalFeatures?](repeating: nil, count: recipe.momentFrames.count),
                              recipe.shotStartFrame != nil && recipe.featureArea != nil ? nil : .some(nil))
            guard let area = recipe.featureArea else { continue }
            for (slot, frame) in recipe.momentFrames.enumerated() { pendingMoments[frame] = (scene, slot, area) }
            if let first = recipe.shotStartFrame { pendingShotStarts[first] = (scene, area) }
        }
    }

    /// Computes the state of the scene whose keyframe or other moment `frame` is, if one is pending.
    func offer(_ frame: StageFrame<FrameImages?>) {
        let signals = frame.signals
        if let (scene, area) = pendingShotStarts.removeValue(forKey: signals.index) {
            partial[scene]?.shotStart = .some(signals.openingShotStart.flatMap { extractor.shotStartFeatures(of: $0, area: area) })
            complete(scene)
        }
        if let (scene, slot, area) = pendingMoments.removeValue(forKey: signals.index) {
            partial[scene]?.moments[slot] = extractor.momentFeatures(of: signals, area: area)
            complete(scene)
        }
        guard let (scene, recipe) = pending.removeValue(forKey: signals.index) else { return }
        var features: LocalFeatures? = nil
        if let area = recipe.featureArea, let luma = signals.analysisLuma, area.x >= 0, area.y >= 0, area.width > 0, area.height > 0,
           area.x + area.width <= luma.width, area.y + area.height <= luma.height {
            features = extractor.features(of: luma, active: area)
        }
        let thumbnail = recipe.thumbnail ? images?.thumbnail(of: frame.attachment) : nil
        partial[scene]?.state = KeyframeState(luma: signals.luma, features: features, thumbnail: thumbnail)
        complete(scene)
    }

    /// Hands scene `scene`'s state to ``ClosedScenes`` once its keyframe and all its other moments are computed.
    private func complete(_ scene: Int) {
        guard let (state, moments, shotStart) = partial[scene], var state, moments.allSatisfy({ $0 != nil }), let shotStart else { return }
        state.moments = moments.map { $0! }
        state.shotStart = shotStart
        partial[scene] = nil
        closedScenes.hold(state, scene: scene)
    }
}
