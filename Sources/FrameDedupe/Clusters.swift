import Pixels
import Similarity

/// How scenes are grouped by content.
public struct ClusterOptions: Sendable, Equatable {
    /// Merges stop at this distance (the mixed distance's units, 0–1). See ``defaultThreshold(scorer:)``.
    public var threshold: Double = 0.35

    /// The default threshold for a scorer, set with `framededupe tune` on the dev set: 0.35 for the
    /// embedding's cosine distance (the dev set's scores are flat from 0.2 to 0.6 there), 0.7 for
    /// 1 − SSIM of keyframes with `--scorer ssim` (cluster-pair F1 0.82 at 0.35, 0.90 at 0.7; at 0.8
    /// different contents start to merge).
    public static func defaultThreshold(scorer: ScorerKind) -> Double { scorer.usesEmbedding ? 0.35 : 0.7 }
    public var linkage: Linkage = .average
    /// Weight of time in `d = (1 − alpha)·d_content + alpha·d_time`, 0–1.
    public var alpha: Double = 0
    /// Seconds of gap at which `d_time` reaches 1.
    public var timeScale: Double = 60
    /// Check where things are in the picture before two scenes may share a cluster: pairs closer than the
    /// threshold that are not copies of each other are kept apart (by geometric verification, or by the grids).
    public var spatialCheck: Bool = true
    /// Decide copy or look-alike by geometric verification of the scenes' keyframes (``GeometricVerifier`` with
    /// ``GeometricVerifier/Rule/standard``) where both have local features, instead of the 3×3 grids; and join
    /// two scenes farther apart than the threshold, up to ``copyRadius``, when they are copies.
    public var geometricCheck: Bool = true
    /// With ``geometricCheck``: pairs between the threshold and this distance (the mixed distance's units) that
    /// geometric verification finds to be copies join (their distance becomes 0). Letterboxed, windowboxed and
    /// low-bitrate copies sit at cosine 0.24–0.36 of their originals, look-alikes from 0.07 up (BENCHMARKS.md,
    /// "Copies vs look-alikes"); at or below the threshold, no pair is joined this way.
    public var copyRadius: Double = 0.45
    /// With ``geometricCheck``: each scene's pairs are verified only with its this many nearest scenes (by the
    /// mixed distance, among those closer than ``copyRadius``); a pair is verified when either scene has the other
    /// among its nearest. Bounds the verifications to scenes × this (a few ms each) on inputs of thousands of
    /// scenes. Pairs closer than the threshold left out are checked on the 3×3 grids instead.
    public var verifiedNeighbours: Int = 12
    /// With ``geometricCheck``: leave out, before verifying, the keypoints that sit at the same place and look the
    /// same in the keyframes of several scenes of the input with different content (``StaticGraphics``: tickers,
    /// score bugs, station marks), so that shared graphics are no evidence of a copy.
    public var ignoreStaticGraphics: Bool = true
    /// With ``geometricCheck``: a pair whose keyframes are not geometric copies is verified again on the scenes'
    /// other moments (``Scene/momentFeatures``: the end of each scene farther from its keyframe, unless still), each
    /// picture of one scene against each of the other's (keyframe against keyframe excepted), and is a copy when one of
    /// these is: the keyframes of two copies of a moving shot may show moments no transform maps onto each other, while
    /// two of their moments do (issue 17, BENCHMARKS.md "Copies of moving shots inside a clip"). At most 3 more
    /// verifications a pair, only for the pairs verified anyway (``verifiedNeighbours``).
    public var verifiesMoments: Bool = true
    /// With ``geometricCheck``: a pair that is no geometric copy on its keyframes or other moments is verified once more on
    /// the first frames of the two scenes' shots (``Scene/shotStartFeatures``, when a hard cut opened each), and is a copy
    /// when these are: two copies of one shot that start at the same frame of it hold the very same moment there,
    /// wherever the samples fell — in a fast shot, samples a frame or two apart already show pictures no transform maps
    /// onto each other (issue 17: Sintel's fast shots mirrored or replayed inside one clip). One verification more a pair,
    /// only for the pairs verified anyway.
    public var verifiesShotStarts: Bool = true
    /// With ``verifiesShotStarts``: pairs of scenes that both have a shot start, farther apart than ``copyRadius`` up to this
    /// distance, are verified on their shot starts alone (one verification, among each scene's ``verifiedNeighbours``) and
    /// join when those are copies. The scenes' means of two copies of a fast shot sampled at other moments of it drift
    /// apart: the tune twin's mirrored Sintel shot (`twin-mirror-within-film-360p`) sits at cosine 0.49 of its original,
    /// whose first frame it copies with 169 of 172 matches.
    public var shotStartRadius: Double = 0.6
    /// Mean per-cell cosine distance of the 3×3 feature grids above which two scenes are look-alikes, not copies.
    /// Measured on real frames (`Fixtures.variantsClip`): a frame and its 5% crop, +15% brightness, mirror
    /// and low-bitrate re-encode are within 0.017–0.168 of each other (the better of direct and mirrored);
    /// the left and right halves of one photograph, only 0.166 apart globally, are 0.264 apart at best.
    public var gridThreshold: Double = 0.22
    /// With ``geometricCheck`` and ``spatialCheck``: two plain keyframes (either with fewer keypoints than a decisive
    /// verdict needs, ``GeometricVerifier/decisiveMatches``) that the 3×3 grids find laid out alike are still kept
    /// apart when more than this share of their lumas differ (``PictureChange/layoutChange(_:_:_:_:mirrored:shifts:level:)``:
    /// one's active picture laid on the other's, their widths or their heights agreeing, mirrored too). A plain
    /// picture's few corners decide nothing, and the grids see "a box left of a ball" in two views of one object alike,
    /// but at the SSIM scale a plain picture is mostly its few flat areas, which another view moves. On the dev set's
    /// tune part (issue 17, session 17; BENCHMARKS.md "Plain pictures: the layout of their lumas"): copies of a flat
    /// render (mirrored, zoomed and blurred, letterboxed, pillarboxed, low bitrate, brightened) differ by at most
    /// 0.107, the view 18° round by 0.199–0.230. Views 10° round differ by 0.03–0.13, as copies do: nothing here
    /// tells them apart. The corpus index decides its few-match pairs so too (`CopyVerification.plainLayoutChange`).
    /// Nil: off.
    public var plainLayoutChange: Double? = 0.15
    /// Mirrored copies count as the same content.
    public var mirroredMatch: Bool = true
    /// Grids shifted by one cell (the same view further along a pan) count as the same layout.
    public var shiftedMatch: Bool = true
    /// Clusters with fewer scenes than this are reported as singletons (they keep their scenes and exemplar).
    public var minimumSize: Int = 1
    /// Project the scenes' embeddings onto their first this many principal components before measuring
    /// content distance (0: off). Capped at scenes − 1.
    public var principalComponents: Int = 0

    public init() {}
}

/// Scenes that show the same thing, wherever they are in time.
public struct Cluster: Sendable, Equatable {
    /// 0, 1, 2… by first appearance in time.
    public let id: Int
    /// Ids of its scenes, in time order.
    public let scenes: [Int]
    /// Sampled frames in its scenes.
    public let frames: Int
    /// The earliest start and the latest end of its scenes, in seconds.
    public let start: Double
    public let end: Double
    public internal(set) var exemplar: Exemplar
    /// True when it has fewer scenes than ``ClusterOptions/minimumSize``: reported, but not as a group.
    public let singleton: Bool
}

/// The one frame chosen to stand for a cluster: one of its scenes' keyframes.
public struct Exemplar: Sendable, Equatable {
    public let scene: Int
    public let keyframe: Keyframe
    /// 1 − cosine distance of the scene's embedding to the cluster's mean (or mean SSIM of keyframes without embeddings).
    public let centrality: Double
    /// Path of its image in `unique/`, relative to the output folder, when written.
    public internal(set) var path: String?
}

/// The clusters of a video's scenes and the merge tree they were cut from.
public struct SceneClusters: Sendable {
    /// The cluster of each scene (by scene id), nil for transition scenes.
    public let clusterOfScene: [Int?]
    public var clusters: [Cluster]
    /// The merge tree over the non-transition scenes (leaf i is `leaves[i]`).
    public let tree: MergeTree?
    /// Scene ids of the tree's leaves.
    public let leaves: [Int]
    /// Pairs whose distance was raised to 1 by the spatial check (scene ids).
    public let vetoedPairs: Int
    /// Pairs beyond the threshold whose distance became 0 as geometric copies (``ClusterOptions/copyRadius``).
    public var joinedPairs: Int = 0
    /// Pairs geometric verification was run on (at most scenes × ``ClusterOptions/verifiedNeighbours``).
    public var verifiedPairs: Int = 0
    /// Principal components the embeddings were projected onto (0: none).
    public var principalComponentsUsed: Int = 0
}

/// Clusters scenes by content with a time-mixed distance, agglomeratively, cut at a threshold.
///
/// Distances: `d = (1 − alpha)·d_content + alpha·d_time` with `d_content` the cosine distance of the
/// scenes' mean embeddings (clamped to 0–1) and `d_time = min(gap / timeScale, 1)`. Without embeddings
/// (`--scorer ssim`), `d_content` is 1 − SSIM of the keyframes at the SSIM scale.
///
/// Spatial check: a global embedding cannot tell a copy from a look-alike (two camera set-ups of one
/// set, two halves of one photograph sit at 0.07–0.2), nor does it bring every copy close (letterboxed and
/// low-bitrate copies reach 0.24–0.36). With `geometricCheck`, every pair of scenes that both have local
/// features and are closer than `copyRadius` is verified geometrically (``GeometricVerifier``, the earlier scene
/// as A, its mirror image tried with `mirroredMatch`): closer than the threshold and not a copy, the distance
/// becomes 1 (with `spatialCheck`); beyond the threshold and a copy, it becomes 0 — one global transform
/// explains both keyframes, whatever the embeddings say. Each scene is verified against at most its
/// `verifiedNeighbours` nearest scenes (either side's nearest counts), so verification grows linearly with the
/// scenes; with `ignoreStaticGraphics`, keypoints of static graphics (``StaticGraphics``; scenes farther apart
/// than `copyRadius` count as different content) are left out of every keyframe first.
///
/// Without features (or without `geometricCheck`), every pair closer than the threshold is
/// checked cell by cell on the 3×3 feature grids: when the mean cell distance exceeds `gridThreshold`
/// (and, with `mirroredMatch`, so does the mean against the other's grid with its columns swapped —
/// the grid of a mirrored copy; and, with `shiftedMatch`, so do the means over the overlapping cells
/// with the other's grid shifted by one cell in any direction — the same view further along a pan),
/// the pair's distance becomes 1 and the two cannot merge directly.
///
/// With `principalComponents` > 0 the embeddings are first centred and projected onto their leading
/// principal components (``PrincipalComponents``), and content distance is the cosine distance of the
/// projections: directions that vary little across this video's scenes stop counting.
///
/// Transition scenes take no part: they get no cluster.
public func clusterScenes(_ scenes: [Scene], options: ClusterOptions) -> SceneClusters {
    clusterScenes(scenes, pictures: ScenePictures(scenes: scenes), options: options)
}

/// As ``clusterScenes(_:options:)``, with the scenes' local features read from `pictures` when a verification needs them
/// (the scenes' own ``Scene/features`` are not looked at), and their grids when the scenes carry none
/// (``ScenePictures/grid(of:)``): `run` clusters its scenes so at the end of a long input (``ScenePictures``), holding at
/// most ``verificationCacheBytes`` of pictures at a time, and the grids only once the verifications are done.
public func clusterScenes(_ scenes: [Scene], pictures: ScenePictures, options: ClusterOptions) -> SceneClusters {
    let leaves = scenes.filter { !$0.transition }.map(\.id)
    var clusterOfScene = [Int?](repeating: nil, count: scenes.count)
    guard !leaves.isEmpty else { return SceneClusters(clusterOfScene: clusterOfScene, clusters: [], tree: nil, leaves: [], vetoedPairs: 0) }
    let members = leaves.map { id in scenes.first { $0.id == id }! }
    let spans = members.map { $0.start...max($0.start, $0.end) }
    let withEmbeddings = members.allSatisfy { $0.embedding != nil }
    var distances: CondensedDistances
    var projectedTo = 0
    if withEmbeddings {
        var vectors = members.map { $0.embedding! }
        if options.principalComponents > 0,
           let pca = PrincipalComponents(rows: vectors, count: min(options.principalComponents, members.count - 1, vectors[0].count)) {
            vectors = vectors.map(pca.project)
            projectedTo = pca.components.count
        }
        distances = CondensedDistances(embeddings: vectors, spans: spans, alpha: options.alpha, timeScale: options.timeScale)
    } else {
        let ssim = StructuralSimilarity()
        distances = CondensedDistances(count: members.count) { i, j in
            let a = members[i].keyframeLuma, b = members[j].keyframeLuma
            let content: Double
            if let a, let b, a.width == b.width, a.height == b.height { content = min(max(1 - ssim.similarity(a, b), 0), 1) } else { content = 1 }
            return (1 - options.alpha) * content + options.alpha * CondensedDistances.timeDistance(spans[i], spans[j], timeScale: options.timeScale)
        }
    }
    var vetoed = 0, joined = 0, verified = 0
    if withEmbeddings, members.count > 1 {
        (distances, vetoed, joined, verified) = checkPairs(members, pictures: pictures, distances: consume distances, options: options)
    }
    let tree = cluster(distances: consume distances, linkage: options.linkage)
    let labels = tree.clusters(cutAt: options.threshold)
    for (leaf, label) in zip(leaves, labels) { clusterOfScene[leaf] = label }

    let count = (labels.max() ?? -1) + 1
    var clusters: [Cluster] = []
    let choice = ExemplarChoice()
    let ssim = StructuralSimilarity()
    for c in 0..<count {
        let group = members.indices.filter { labels[$0] == c }.map { members[$0] }
        var centrality = [Double](repeating: 1, count: group.count)
        if withEmbeddings {
            // The cluster's centre: the frame-weighted mean of its scenes' embeddings.
            let n = group[0].embedding!.count
            var centre = [Double](repeating: 0, count: n)
            for s in group { for i in 0..<n { centre[i] += Double(s.frameCount) * Double(s.embedding![i]) } }
            let norm = centre.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for (g, s) in group.enumerated() {
                var dot = 0.0
                for i in 0..<n { dot += Double(s.embedding![i]) * centre[i] }
                centrality[g] = norm > 0 ? dot / norm : 0
            }
        } else if group.count > 1 {
            for (g, s) in group.enumerated() {
                var total = 0.0
                for other in group where other.id != s.id {
                    if let a = s.keyframeLuma, let b = other.keyframeLuma, a.width == b.width, a.height == b.height { total += ssim.similarity(a, b) }
                }
                centrality[g] = total / Double(group.count - 1)
            }
        }
        let chosen = choice.pick(centrality: centrality, sharpness: group.map(\.keyframe.sharpness), exposure: group.map(\.keyframe.exposure))
        clusters.append(Cluster(
            id: c, scenes: group.map(\.id), frames: group.reduce(0) { $0 + $1.frameCount },
            start: group.map(\.start).min()!, end: group.map(\.end).max()!,
            exemplar: Exemplar(scene: group[chosen].id, keyframe: group[chosen].keyframe, centrality: centrality[chosen], path: nil),
            singleton: group.count < options.minimumSize))
    }
    var result = SceneClusters(clusterOfScene: clusterOfScene, clusters: clusters, tree: tree, leaves: leaves, vetoedPairs: vetoed)
    result.principalComponentsUsed = projectedTo
    result.joinedPairs = joined
    result.verifiedPairs = verified
    return result
}

/// Bytes of stripped pictures (``CopyPictures``) clustering holds at a time while it verifies pairs, read again when
/// dropped: 24 MB, some 200 scenes' keyframes, other moments and shot starts at 500 keypoints. Pairs are verified breadth
/// first over the graph of pairs, so that a scene's neighbours are verified while it is held (on a 30-minute loop every
/// scene was read once); the static graphics of a scene are found once (their masks are kept, a few bytes a scene),
/// not again at each read.
let verificationCacheBytes = 24 << 20

/// The spatial check and the geometric joins of ``clusterScenes(_:options:)`` over every pair of `members` (in
/// time order): the distances with vetoed pairs at 1 and joined pairs at 0, how many of each, and how many pairs
/// were verified. Each member's pictures are read from `pictures` (by scene id) when a pair of it is verified, and
/// held in a cache of `cacheBytes`; its grid (when it carries none) once every verification is done and the cache is
/// gone, so that the two are never held at once. `distances` is changed in place when handed over (`consume`).
func checkPairs(_ members: [Scene], pictures source: ScenePictures? = nil, distances: consuming CondensedDistances, options: ClusterOptions,
                cacheBytes: Int = verificationCacheBytes)
    -> (distances: CondensedDistances, vetoed: Int, joined: Int, verified: Int) {
    let source = source ?? ScenePictures(scenes: members)
    let grids = options.spatialCheck && members.allSatisfy { $0.grid != nil || source.hasGrid($0.id) }
    let has = members.map { source.hasPictures($0.id) }
    let geometric = options.geometricCheck && has.contains(true)
    guard grids || geometric else { return (distances, 0, 0, 0) }
    let verifier = GeometricVerifier()
    let n = members.count
    // Whether each scene has a shot start picture when verified (its own, or its keyframe's).
    let shotStart = members.map { options.verifiesShotStarts && source.hasShotStart($0.id) }
    var verified: [Set<Int>] = []
    if geometric {
        // Which pairs are verified depends on the distances and on which scenes have a shot start only: known before any
        // picture is read.
        verified = verificationNeighbours(distances, options: options) { i, j in shotStart[i] && shotStart[j] }
    }
    // The pairs verified (the earlier scene first), whether on their shot starts alone, and whether closer than the
    // threshold (where the grids, and the plain pictures' layout, may keep them apart).
    var pairs: [(i: Int, j: Int, farStarts: Bool, near: Bool)] = []
    var k = 0
    for i in 0..<n {
        for j in (i + 1)..<n {
            defer { k += 1 }
            guard options.geometricCheck, has[i], has[j], verified[i].contains(j) || verified[j].contains(i) else { continue }
            let d = Double(distances.values[k])
            let farStarts = isFarShotStartPair(d, options: options) && shotStart[i] && shotStart[j]
            guard d <= options.threshold ? options.spatialCheck : d <= options.copyRadius || farStarts else { continue }
            pairs.append((i, j, farStarts, d <= options.threshold))
        }
    }
    // Verified in an order that keeps the pictures read at hand (each pair's result is its own, whatever the order):
    // breadth first over the graph of pairs, a scene's pairs together, its partners next, whose own partners are most
    // often scenes just read (nearest neighbours of nearest neighbours). In time order of the earlier scene, the later
    // ones are spread over the input: on a 30-minute loop (631 scenes, 5,934 pairs) the 24 MB cache read scenes 6,186
    // times so, 631 times (each once) breadth first.
    var matches = [GeometricMatch?](repeating: nil, count: pairs.count)
    // Pairs of plain keyframes whose lumas differ in layout (``ClusterOptions/plainLayoutChange``).
    var plainDiffer = [Bool](repeating: false, count: pairs.count)
    var verifiedPairs = 0
    do {  // the pictures (their cache, a reference to the distances) are gone before the distances change
        var pictures = VerifiedPictures(members, source: source, distances: copy distances, options: options, cacheBytes: cacheBytes,
                                        strippingStaticGraphics: options.ignoreStaticGraphics && verified.contains { !$0.isEmpty })
        var done = [Bool](repeating: false, count: pairs.count)
        var pairsOf = [[Int]](repeating: [], count: n)
        for (p, pair) in pairs.enumerated() {
            pairsOf[pair.i].append(p)
            pairsOf[pair.j].append(p)
        }
        var visited = [Bool](repeating: false, count: n), queue: [Int] = []
        for first in 0..<n where !visited[first] && !pairsOf[first].isEmpty {
            visited[first] = true
            queue = [first]
            var next = 0
            while next < queue.count {
                let s = queue[next]
                next += 1
                for p in pairsOf[s] where !done[p] {
                    done[p] = true
                    let (i, j, farStarts, near) = pairs[p]
                    let other = i == s ? j : i
                    if !visited[other] {
                        visited[other] = true
                        queue.append(other)
                    }
                    guard let x = pictures.of(i), let y = pictures.of(j) else { continue }
                    let match = verifyCopy(x, y, shotStartsOnly: farStarts, verifier: verifier, mirror: options.mirroredMatch)
                    matches[p] = match
                    if grids, near, let limit = options.plainLayoutChange,
                       plainPicturesDiffer(x, y, match: match, limit: limit, mirror: options.mirroredMatch) {
                        plainDiffer[p] = true
                    }
                    verifiedPairs += 1
                }
            }
        }
    }
    // Changed in place when the caller handed over its last copy (the matrix is 4·n²/2 bytes: 17 MB at 2,952 scenes).
    var values = distances.values
    _ = consume distances
    // The grids, read when first needed (a run's scenes carry none: ``ScenePictures/grid(of:)``), now that the pictures'
    // cache is gone.
    var gridOf = [FeatureGrid?](repeating: nil, count: grids ? n : 0)
    func grid(_ i: Int) -> FeatureGrid? {
        if gridOf[i] == nil { gridOf[i] = members[i].grid ?? source.gridIfReadable(of: members[i].id) }
        return gridOf[i]
    }
    var vetoed = 0, joined = 0
    var pair = 0
    k = 0
    for i in 0..<n {
        for j in (i + 1)..<n {
            defer { k += 1 }
            let d = Double(values[k])
            var match: GeometricMatch? = nil, plainLayoutsDiffer = false
            if pair < pairs.count, pairs[pair].i == i, pairs[pair].j == j {
                match = matches[pair]
                plainLayoutsDiffer = plainDiffer[pair]
                pair += 1
            }
            if let match, match.isDecisive {  // else (low texture, few matches) the grids decide, if any
                if d <= options.threshold, !match.isCopy {
                    values[k] = 1
                    vetoed += 1
                } else if d > options.threshold, match.isCopy {
                    values[k] = 0
                    joined += 1
                }
            } else if grids, d <= options.threshold, let a = grid(i), let b = grid(j), plainLayoutsDiffer || !sameLayout(a, b, options: options) {
                values[k] = 1
                vetoed += 1
            }
        }
    }
    return (CondensedDistances(count: n, values: values), vetoed, joined, verifiedPairs)
}

/// The pictures of the scenes `checkPairs` verifies, as it verifies them (``ClusterOptions/verifiesMoments``,
/// ``ClusterOptions/verifiesShotStarts``; static graphics left out, ``CopyPictures/removingStaticGraphics(_:differentContent:)``
/// one scene at a time), read from their source when first asked for and held in a bounded cache.
struct VerifiedPictures {
    private let members: [Scene]
    private let source: ScenePictures
    private let distances: CondensedDistances
    private let options: ClusterOptions
    /// The static graphics' reference keyframes; nil when they are not stripped (or nothing can be static).
    private let reference: StaticGraphics.Reference?
    /// The static keypoints found in each scene's pictures (``CopyPictures/staticKeypoints(_:scene:differentContent:)``),
    /// kept when found: a scene read again is not judged again.
    private var masks: [[[Bool]?]?]
    private var cache: PictureCache

    /// - Parameters:
    ///   - members: The scenes, in time order (the static graphics' rule numbers them so).
    ///   - distances: Their distances: scenes farther apart than the copy radius show different content.
    ///   - strippingStaticGraphics: Leave static graphics out (reads the reference scenes' keyframes at once).
    init(_ members: [Scene], source: ScenePictures, distances: CondensedDistances, options: ClusterOptions, cacheBytes: Int,
         strippingStaticGraphics: Bool) {
        self.members = members
        self.source = source
        self.distances = distances
        self.options = options
        reference = strippingStaticGraphics
            ? StaticGraphics.Reference(keyframeSizes: members.map { source.keyframeSize($0.id) }) { source.picturesIfReadable(of: members[$0].id)?.keyframe }
            : nil
        masks = Array(repeating: nil, count: members.count)
        cache = PictureCache(capacity: cacheBytes)
    }

    /// Member `i`'s pictures as verified; nil when it has none (or they cannot be read: ``ScenePictures/readError``).
    mutating func of(_ i: Int) -> CopyPictures? {
        if let held = cache.held(i) { return held }
        guard let p = read(i) else { return nil }
        cache.insert(p, for: i)
        return p
    }

    private mutating func read(_ i: Int) -> CopyPictures? {
        guard var p = source.picturesIfReadable(of: members[i].id) else { return nil }
        p.keyframeLuma = members[i].keyframeLuma
        if !options.verifiesMoments { p.moments = [] }
        if !options.verifiesShotStarts { p.shotStart = nil }
        guard let reference else { return p }
        if masks[i] == nil {
            let (distances, radius) = (distances, options.copyRadius)
            masks[i] = p.staticKeypoints(reference, scene: i) { i, j in Double(distances[i, j]) > radius }
        }
        return p.removing(masks[i]!)
    }
}

/// The pictures of one scene that geometric verification compares with another scene's (``verifyCopy(_:_:shotStartsOnly:verifier:mirror:)``):
/// its keyframe's local features, its other moments' (``Scene/momentFeatures``; empty when not verified) and its shot
/// start's (``Scene/shotStartFeatures``, the keyframe's own when ``shotStartIsKeyframe``; nil when none or not verified).
/// `run` builds them from its scenes, the corpus index from what it stores of each scene.
public struct CopyPictures: Sendable, Equatable {
    public var keyframe: LocalFeatures
    public var moments: [LocalFeatures]
    public var shotStart: LocalFeatures?
    /// The shot start is the keyframe's picture (``Scene/shotStartIsKeyframe``): ``shotStart`` holds the keyframe's features.
    public var shotStartIsKeyframe: Bool
    /// The keyframe's luma at the SSIM scale (``Scene/keyframeLuma``), for a keyframe match in one patch
    /// (``GeometricVerifier/confirmByPictures(_:_:_:_:_:)``); nil where it is not kept (the corpus index).
    public var keyframeLuma: LumaImage?

    public init(keyframe: LocalFeatures, moments: [LocalFeatures] = [], shotStart: LocalFeatures? = nil, shotStartIsKeyframe: Bool = false,
                keyframeLuma: LumaImage? = nil) {
        self.keyframe = keyframe
        self.moments = moments
        self.shotStart = shotStart
        self.shotStartIsKeyframe = shotStartIsKeyframe
        self.keyframeLuma = keyframeLuma
    }
}

extension CopyPictures {
    /// Which keypoints of each of these pictures, scene `scene`'s, are static graphics (``StaticGraphics/Reference``:
    /// judged against the input's reference keyframes; `differentContent(i, j)`: scenes `i` and `j` show different
    /// content), in the order keyframe, other moments, shot start (its own only); nil for a picture with none.
    func staticKeypoints(_ reference: StaticGraphics.Reference, scene: Int, differentContent: (Int, Int) -> Bool) -> [[Bool]?] {
        var pictures = [keyframe] + moments
        if !shotStartIsKeyframe, let shotStart { pictures.append(shotStart) }
        return pictures.map { p in
            reference.staticKeypoints(of: p, scene: scene, differentContent: differentContent).flatMap { $0.contains(true) ? $0 : nil }
        }
    }

    /// These pictures without the keypoints `masks` marks (``staticKeypoints(_:scene:differentContent:)``); a shot start
    /// that is the keyframe's picture is the stripped keyframe.
    func removing(_ masks: [[Bool]?]) -> CopyPictures {
        var p = self
        p.keyframe = keyframe.removing(masks[0])
        for k in moments.indices { p.moments[k] = moments[k].removing(masks[1 + k]) }
        if shotStartIsKeyframe {
            if shotStart != nil { p.shotStart = p.keyframe }
        } else if let shotStart {
            p.shotStart = shotStart.removing(masks[1 + moments.count])
        }
        return p
    }

    /// The pictures of each scene of one input without the keypoints of its static graphics (``StaticGraphics``: each
    /// keyframe, other moment and shot start against the keyframes of the input's scenes; `differentContent(i, j)`:
    /// scenes `i` and `j` show different content), all at once: each scene's as ``staticKeypoints(_:scene:differentContent:)``
    /// and ``removing(_:)`` strip it, which `run` does one scene at a time as it reads them (``clusterScenes(_:pictures:options:)``);
    /// the corpus index strips each video's so.
    public static func removingStaticGraphics(_ scenes: [CopyPictures?], differentContent: (Int, Int) -> Bool) -> [CopyPictures?] {
        guard let reference = StaticGraphics.Reference(keyframeSizes: scenes.map { $0.map { ($0.keyframe.width, $0.keyframe.height) } },
                                                       keyframe: { scenes[$0]?.keyframe }) else { return scenes }
        return scenes.enumerated().map { i, p in p.map { $0.removing($0.staticKeypoints(reference, scene: i, differentContent: differentContent)) } }
    }
}

/// Geometric verification of a pair of scenes as ``clusterScenes(_:options:)`` makes it (`a` the earlier scene): with
/// `shotStartsOnly` (a pair beyond the copy radius, up to ``ClusterOptions/shotStartRadius``) and both shot starts, on
/// these alone; else on the keyframes (a match in one patch confirmed by their lumas when both have them,
/// ``GeometricVerifier/confirmByPictures(_:_:_:_:_:)``), then, when these are no decisive copy, on the other moments
/// (``ClusterOptions/verifiesMoments``: ``momentCopy(_:_:verifier:mirror:)``), then on the shot starts
/// (``ClusterOptions/verifiesShotStarts``, unless both are the keyframes' pictures). The keyframes' match unless a later
/// picture pair is a decisive copy.
public func verifyCopy(_ a: CopyPictures, _ b: CopyPictures, shotStartsOnly: Bool, verifier: GeometricVerifier, mirror: Bool) -> GeometricMatch {
    if shotStartsOnly, let x = a.shotStart, let y = b.shotStart { return verifier.verify(x, y, mirror: mirror) }
    var match = verifier.verify(a.keyframe, b.keyframe, mirror: mirror)
    if let x = a.keyframeLuma, let y = b.keyframeLuma { verifier.confirmByPictures(&match, x, a.keyframe, y, b.keyframe) }
    if !(match.isDecisive && match.isCopy), !a.moments.isEmpty || !b.moments.isEmpty,
       let copy = momentCopy([a.keyframe] + a.moments, [b.keyframe] + b.moments, verifier: verifier, mirror: mirror) {
        match = copy
    }
    if !(match.isDecisive && match.isCopy), let x = a.shotStart, let y = b.shotStart, !(a.shotStartIsKeyframe && b.shotStartIsKeyframe) {
        let copy = verifier.verify(x, y, mirror: mirror)
        if copy.isDecisive, copy.isCopy { match = copy }
    }
    return match
}

/// The first decisive copy among the pairs of pictures of two scenes (`a` of the earlier scene, `b` of the later,
/// each its keyframe first, then its other moments), the keyframes' pair left out (verified already): a's pictures
/// in order against b's in order. Nil when no pair is a copy.
func momentCopy(_ a: [LocalFeatures], _ b: [LocalFeatures], verifier: GeometricVerifier, mirror: Bool) -> GeometricMatch? {
    for (i, x) in a.enumerated() {
        for (j, y) in b.enumerated() where i > 0 || j > 0 {
            let match = verifier.verify(x, y, mirror: mirror)
            if match.isDecisive, match.isCopy { return match }
        }
    }
    return nil
}

/// For each scene, the scenes it is verified against: its ``ClusterOptions/verifiedNeighbours`` nearest among
/// those a verification could change (closer than the threshold with the spatial check, else up to the copy
/// radius, or up to the shot-start radius when `bothHaveShotStarts`), the nearer first, the earlier on ties.
func verificationNeighbours(_ distances: CondensedDistances, options: ClusterOptions,
                            bothHaveShotStarts: (Int, Int) -> Bool = { _, _ in false }) -> [Set<Int>] {
    let n = distances.count, limit = max(options.verifiedNeighbours, 0)
    var result = [Set<Int>](repeating: [], count: n)
    var candidates: [(d: Float, j: Int)] = []
    for i in 0..<n {
        candidates.removeAll(keepingCapacity: true)
        for j in 0..<n where j != i {
            let d = distances[i, j]
            let useful = Double(d) <= options.threshold ? options.spatialCheck
                : Double(d) <= options.copyRadius || (isFarShotStartPair(Double(d), options: options) && bothHaveShotStarts(i, j))
            if useful { candidates.append((d, j)) }
        }
        result[i] = nearestVerified(&candidates, limit: limit)
    }
    return result
}

/// Of one scene's candidates for verification (each another scene's number `j` and its distance `d`), the `limit`
/// nearest, the nearer first, the lower number on ties (``ClusterOptions/verifiedNeighbours``): the rule by which `run`
/// bounds its verifications, and the corpus index its verifications of other moments and shot starts.
public func nearestVerified<Distance: Comparable>(_ candidates: inout [(d: Distance, j: Int)], limit: Int) -> Set<Int> {
    if candidates.count > limit {
        candidates.sort { ($0.d, $0.j) < ($1.d, $1.j) }
        candidates.removeSubrange(max(limit, 0)...)
    }
    return Set(candidates.map(\.j))
}

/// Whether a pair at distance `d` is verified on its shot starts alone (when both have one): beyond the copy radius, up
/// to ``ClusterOptions/shotStartRadius``.
func isFarShotStartPair(_ d: Double, options: ClusterOptions) -> Bool {
    options.verifiesShotStarts && d > options.copyRadius && d <= options.shotStartRadius
}

/// Whether two scenes whose verification did not decide (`match`) have plain keyframes laid out otherwise: either
/// keyframe has fewer keypoints than a decisive verdict needs (as verified, static graphics left out), both have their
/// lumas, and more than `limit` of them differ (``PictureChange/layoutChange(_:_:_:_:mirrored:shifts:level:)``, mirrored only
/// when `mirror`). See ``ClusterOptions/plainLayoutChange``; `run`'s clustering and the corpus index decide so.
public func plainPicturesDiffer(_ a: CopyPictures, _ b: CopyPictures, match: GeometricMatch, limit: Double, mirror: Bool) -> Bool {
    guard !match.isDecisive, min(a.keyframe.count, b.keyframe.count) < GeometricVerifier.decisiveMatches,
          let x = a.keyframeLuma, let y = b.keyframeLuma,
          let change = PictureChange.layoutChange(x, a.keyframe, y, b.keyframe, mirrored: mirror) else { return false }
    return change > limit
}

/// Whether two scenes' 3×3 feature grids put the same things in the same places (directly, or mirrored).
func sameLayout(_ a: FeatureGrid, _ b: FeatureGrid, options: ClusterOptions) -> Bool {
    let shifts = options.shiftedMatch ? [-1, 0, 1] : [0]
    for mirror in options.mirroredMatch ? [false, true] : [false] {
        for dy in shifts { for dx in shifts where meanCellDistance(a, b, mirror: mirror, dx: dx, dy: dy) <= options.gridThreshold { return true } }
    }
    return false
}

/// The mean cosine distance over the cells of two grids that overlap when `b` is shifted by (dx, dy) cells (and
/// mirrored): the spatial check's measure (``sameLayout(_:_:options:)``).
func meanCellDistance(_ a: FeatureGrid, _ b: FeatureGrid, mirror: Bool, dx: Int, dy: Int) -> Double {
    let side = a.side
    var total = 0.0, cells = 0
    for row in 0..<side {
        for column in 0..<side {
            let r = row + dy, c = column + dx
            guard r >= 0, r < side, c >= 0, c < side else { continue }
            total += 1 - a.cosine(cell: row * side + column, b, cell: r * side + (mirror ? side - 1 - c : c))
            cells += 1
        }
    }
    return total / Double(cells)
}
