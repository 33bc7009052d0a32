import Decoder
import Pixels
import Similarity

/// The scores of one sampled frame against its scene's reference frame and the previous frame:
/// data, not decisions. A score is nil when it was not computed (scorer off, or settled by hashes).
public struct FrameScores: Sendable, Equatable, Codable {
    /// Hamming distance of the perceptual hashes to the reference (0 = identical hashes).
    public var hashDistance: Int
    /// SSIM of the luma to the reference's; nil when the hashes were identical and SSIM was skipped.
    public var ssimToReference: Double?
    /// SSIM to the previous sampled frame; nil when skipped by identical hashes.
    public var ssimToPrevious: Double?
    /// Cosine distance (1 − cos, 0–2) of the network embeddings to the reference's.
    public var embeddingToReference: Double?
    /// Cosine distance of the network embeddings to the previous frame's.
    public var embeddingToPrevious: Double?

    public init(hashDistance: Int, ssimToReference: Double? = nil, ssimToPrevious: Double? = nil,
                embeddingToReference: Double? = nil, embeddingToPrevious: Double? = nil) {
        self.hashDistance = hashDistance
        self.ssimToReference = ssimToReference
        self.ssimToPrevious = ssimToPrevious
        self.embeddingToReference = embeddingToReference
        self.embeddingToPrevious = embeddingToPrevious
    }
}

/// Which signals score frames.
public enum ScorerKind: String, Sendable, CaseIterable {
    /// Pixels only: SSIM (and hashes).
    case ssim
    /// Content only: the network's embedding (and hashes).
    case embed
    /// Both; a cut needs both to agree (see ``SceneBoundaryRule``).
    case both

    public var usesSSIM: Bool { self != .embed }
    public var usesEmbedding: Bool { self != .ssim }
}

/// Scores a frame against its scene's reference frame and the frame before it.
public protocol FrameScorer {
    /// Which signals it scores.
    var kind: ScorerKind { get }
    mutating func score(_ frame: FrameSignals, reference: FrameSignals, previous: FrameSignals) -> FrameScores
    /// The change from one frame to another in the measure ``SceneBoundaryRule/change(_:)`` reads from
    /// the scores: embedding distance when embeddings are scored, else 1 − SSIM (0 for identical hashes).
    mutating func change(from: FrameSignals, to: FrameSignals) -> Double?
}

/// Hashes first, then SSIM and/or the embedding distance: a frame whose 64-bit hashes equal the
/// other frame's skips SSIM against it (the embedding distance, already paid for, is still recorded).
public struct SimilarityScorer: FrameScorer {
    private let ssim = StructuralSimilarity()
    public let kind: ScorerKind

    public init(kind: ScorerKind) { self.kind = kind }

    public mutating func score(_ frame: FrameSignals, reference: FrameSignals, previous: FrameSignals) -> FrameScores {
        let distance = FrameSignals.hashDistance(frame, reference)
        var scores = FrameScores(hashDistance: distance)
        if kind.usesSSIM {
            scores.ssimToReference = distance == 0 ? nil : similarity(frame, reference)
            scores.ssimToPrevious = FrameSignals.hashDistance(frame, previous) == 0 ? nil : similarity(frame, previous)
        }
        // A stand-in embedding (``FrameSignals/embeddingIsStandIn``) measures no change.
        if kind.usesEmbedding, let e = frame.embedding, !frame.embeddingIsStandIn {
            scores.embeddingToReference = reference.embeddingIsStandIn ? nil : reference.embedding.map { Double(e.cosineDistance(to: $0)) }
            scores.embeddingToPrevious = previous.embeddingIsStandIn ? nil : previous.embedding.map { Double(e.cosineDistance(to: $0)) }
        }
        return scores
    }

    public mutating func change(from a: FrameSignals, to b: FrameSignals) -> Double? {
        if kind.usesEmbedding, let u = a.embedding, let v = b.embedding { return Double(u.cosineDistance(to: v)) }
        if kind.usesSSIM { return FrameSignals.hashDistance(a, b) == 0 ? 0 : 1 - similarity(a, b) }
        return nil
    }

    /// SSIM inside the frames' black bars (``FrameSignals/comparableLuma(_:_:)``).
    private func similarity(_ a: FrameSignals, _ b: FrameSignals) -> Double {
        let (p, q) = FrameSignals.comparableLuma(a, b)
        // The picture size changed mid-stream: nothing in common by definition.
        guard p.width == q.width, p.height == q.height else { return 0 }
        return ssim.similarity(p, q)
    }
}
