/// Keypoints of static graphics: what sits at the same place, looking the same, in the keyframes of several
/// scenes of one input that show different content (a news ticker, a score bug, a station mark, a logo). Such
/// keypoints match between any two scenes of the input under the identity transform, so they are no evidence that
/// the two show the same content; ``GeometricVerifier`` is given the features without them.
///
/// The rule, exactly: keypoint `i` of scene `s` is static when, in at least `minimumOtherScenes` = 2 reference
/// scenes `r ≠ s` that show different content from `s` (the caller's `differentContent(s, r)`: in the product,
/// an embedding distance beyond the copy radius), some keypoint lies within `positionTolerance` = 2 pixels in
/// x and in y of it (the same picture size, level-0 pixels) with a descriptor at most `maximumDistance` = 64 of
/// 256 bits from its own. The reference scenes are all scenes when there are at most `referenceScenes` = 64,
/// else 64 spread evenly over the input (graphics that stay on screen for a sixty-fourth of an input or more are
/// found). Scenes of another picture size, or without features, take no part.
///
/// Cost: the reference keypoints go into a hash of 4-pixel cells; each keypoint of each scene looks at the nine
/// cells around it, about `references × 500 × 144 / picture area` candidates: for 64 references on a
/// 455×256 luma, some 40 descriptor comparisons a keypoint, a few milliseconds a scene.
public enum StaticGraphics {
    public static let minimumOtherScenes = 2
    public static let positionTolerance: Float = 2
    public static let maximumDistance = 64
    public static let referenceScenes = 64
    static let cellSide: Float = 4

    /// For each scene, which of its keypoints are static (true); nil for scenes without features.
    ///
    /// - Parameters:
    ///   - features: The keyframe features of the input's scenes, in time order.
    ///   - differentContent: Whether scenes `i` and `j` (indices into `features`) show different content.
    public static func staticKeypoints(_ features: [LocalFeatures?], differentContent: (Int, Int) -> Bool) -> [[Bool]?] {
        staticKeypoints(features, pictures: [], differentContent: differentContent).scenes
    }

    /// As ``staticKeypoints(_:differentContent:)``, and also for more `pictures` of the scenes (other moments than the
    /// keyframe: `scene` indexes `features`), each judged against the same reference keyframes as its scene's keyframe.
    public static func staticKeypoints(_ features: [LocalFeatures?], pictures: [(scene: Int, features: LocalFeatures)],
                                       differentContent: (Int, Int) -> Bool) -> (scenes: [[Bool]?], pictures: [[Bool]?]) {
        var result: [[Bool]?] = features.map { $0.map { [Bool](repeating: false, count: $0.count) } }
        var pictureResult: [[Bool]?] = pictures.map { [Bool](repeating: false, count: $0.features.count) }
        guard let reference = Reference(keyframeSizes: features.map { $0.map { ($0.width, $0.height) } }, keyframe: { features[$0] }) else {
            return (result, pictureResult)
        }
        for (s, f) in features.enumerated() {
            guard let f, let mask = reference.staticKeypoints(of: f, scene: s, differentContent: differentContent) else { continue }
            result[s] = mask
        }
        for (n, p) in pictures.enumerated() {
            guard let mask = reference.staticKeypoints(of: p.features, scene: p.scene, differentContent: differentContent) else { continue }
            pictureResult[n] = mask
        }
        return (result, pictureResult)
    }

    /// The reference keyframes of one input's scenes (the rule's `referenceScenes`), their keypoints hashed by place:
    /// made once for the input, then any picture of any of its scenes is judged against them
    /// (``staticKeypoints(of:scene:differentContent:)``), one at a time, so that a caller that reads its scenes' pictures
    /// one by one (`run`'s clustering at the end of a long input) needs only the references' keyframes in memory, some
    /// 2.3 MB at 64 × 500 keypoints.
    public struct Reference: Sendable {
        /// The picture size the rule works in (the most common of the keyframes'), as `width << 32 | height`.
        private let size: Int
        /// Which scenes take part: those whose keyframe has that size.
        private let usable: Set<Int>
        /// The reference scenes' numbers and keyframes.
        private let references: [Int]
        private let keyframes: [LocalFeatures]
        private let columns: Int, rows: Int
        /// Cell -> (reference number, keypoint) of every reference keypoint, as a bucketed list: cell `c`'s entries are
        /// `entries[start[c]..<start[c + 1]]`.
        private let start: [Int]
        private let entries: [(reference: Int32, keypoint: Int32)]

        /// Nil when fewer than `minimumOtherScenes` + 1 scenes have keyframe features of one size (nothing is static).
        ///
        /// - Parameters:
        ///   - keyframeSizes: For each scene of the input in time order, the picture size of its keyframe's features
        ///     (``LocalFeatures/width``, ``LocalFeatures/height``); nil for a scene without features.
        ///   - keyframe: The keyframe features of scene `i`, asked for the reference scenes only; nil when they cannot
        ///     be had (then there is no reference either).
        public init?(keyframeSizes: [(width: Int, height: Int)?], keyframe: (Int) -> LocalFeatures?) {
            // The most common picture size: graphics are placed in the pixels of one size.
            var sizes: [Int: Int] = [:]
            for s in keyframeSizes.compactMap({ $0 }) { sizes[s.width << 32 | s.height, default: 0] += 1 }
            guard let size = sizes.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key else { return nil }
            let usable = keyframeSizes.indices.filter { keyframeSizes[$0].map { $0.width << 32 | $0.height } == size }
            guard usable.count > minimumOtherScenes else { return nil }
            let references: [Int] = usable.count <= referenceScenes
                ? usable : (0..<referenceScenes).map { usable[$0 * usable.count / referenceScenes] }
            var keyframes: [LocalFeatures] = []
            keyframes.reserveCapacity(references.count)
            for r in references {
                guard let f = keyframe(r), f.width << 32 | f.height == size else { return nil }
                keyframes.append(f)
            }
            let columns = Int((Float(size >> 32) / cellSide).rounded(.up)) + 1
            let rows = Int((Float(size & 0xFFFF_FFFF) / cellSide).rounded(.up)) + 1
            func cell(_ x: Float, _ y: Float) -> Int {
                min(max(Int(y / cellSide), 0), rows - 1) * columns + min(max(Int(x / cellSide), 0), columns - 1)
            }
            var start = [Int](repeating: 0, count: columns * rows + 1)
            for f in keyframes {
                for k in 0..<f.count { start[cell(f.x[k], f.y[k]) + 1] += 1 }
            }
            for c in 0..<(columns * rows) { start[c + 1] += start[c] }
            var fill = start
            var entries = [(reference: Int32, keypoint: Int32)](repeating: (0, 0), count: start[columns * rows])
            for (n, f) in keyframes.enumerated() {
                for k in 0..<f.count {
                    let c = cell(f.x[k], f.y[k])
                    entries[fill[c]] = (Int32(n), Int32(k))
                    fill[c] += 1
                }
            }
            self.size = size
            self.usable = Set(usable)
            self.references = references
            self.keyframes = keyframes
            self.columns = columns
            self.rows = rows
            self.start = start
            self.entries = entries
        }

        /// Which keypoints of `picture`, a picture of scene `scene` (its keyframe or another moment), are static (true);
        /// nil when none can be: the scene takes no part (no keyframe features of the rule's picture size), the picture
        /// has another size, or fewer than `minimumOtherScenes` references show different content.
        ///
        /// - Parameter differentContent: Whether scenes `i` and `j` (numbers as in `keyframeSizes`) show different content.
        public func staticKeypoints(of picture: LocalFeatures, scene s: Int, differentContent: (Int, Int) -> Bool) -> [Bool]? {
            guard usable.contains(s), picture.width << 32 | picture.height == size else { return nil }
            // Whether each reference shows different content from the scene at hand.
            var different = [Bool](repeating: false, count: references.count)
            var anyDifferent = 0
            for (n, r) in references.enumerated() {
                different[n] = r != s && differentContent(s, r)
                if different[n] { anyDifferent += 1 }
            }
            guard anyDifferent >= minimumOtherScenes else { return nil }
            // The keypoint each reference last counted for, so that each counts once per keypoint.
            var stamp = [Int](repeating: -1, count: references.count)
            var mask = [Bool](repeating: false, count: picture.count)
            picture.descriptors.withUnsafeBufferPointer { own in
                for k in 0..<picture.count {
                    let x = picture.x[k], y = picture.y[k]
                    let c0 = min(max(Int(x / cellSide), 0), columns - 1), w0 = min(max(Int(y / cellSide), 0), rows - 1)
                    var found = 0
                    search: for w in max(w0 - 1, 0)...min(w0 + 1, rows - 1) {
                        for c in max(c0 - 1, 0)...min(c0 + 1, columns - 1) {
                            for e in start[w * columns + c]..<start[w * columns + c + 1] {
                                let (n, j) = (Int(entries[e].reference), Int(entries[e].keypoint))
                                guard different[n], stamp[n] != k else { continue }
                                let g = keyframes[n]
                                guard abs(g.x[j] - x) <= positionTolerance, abs(g.y[j] - y) <= positionTolerance else { continue }
                                let near = g.descriptors.withUnsafeBufferPointer {
                                    HammingMatching.distance(own.baseAddress! + 4 * k, $0.baseAddress! + 4 * j) <= maximumDistance
                                }
                                guard near else { continue }
                                stamp[n] = k
                                found += 1
                                if found >= minimumOtherScenes { break search }
                            }
                        }
                    }
                    mask[k] = found >= minimumOtherScenes
                }
            }
            return mask
        }
    }

    /// The features of each scene without its static keypoints (``staticKeypoints(_:differentContent:)``);
    /// scenes without static keypoints keep their features as they are.
    public static func removingStatic(_ features: [LocalFeatures?], differentContent: (Int, Int) -> Bool) -> [LocalFeatures?] {
        let masks = staticKeypoints(features, differentContent: differentContent)
        return zip(features, masks).map { f, mask in f?.removing(mask) }
    }

    /// As ``removingStatic(_:differentContent:)``, and the same for more `pictures` of the scenes
    /// (``staticKeypoints(_:pictures:differentContent:)``): the keyframes come out exactly as without them.
    public static func removingStatic(_ features: [LocalFeatures?], pictures: [(scene: Int, features: LocalFeatures)],
                                      differentContent: (Int, Int) -> Bool) -> (scenes: [LocalFeatures?], pictures: [LocalFeatures]) {
        let masks = staticKeypoints(features, pictures: pictures, differentContent: differentContent)
        return (zip(features, masks.scenes).map { f, mask in f.map { $0.removing(mask) } },
                zip(pictures, masks.pictures).map { p, mask in p.features.removing(mask) })
    }
}

extension LocalFeatures {
    /// The same features without the keypoints `mask` marks (``StaticGraphics/staticKeypoints(_:pictures:differentContent:)``);
    /// these very features (no copy) when it marks none or is nil.
    public func removing(_ mask: [Bool]?) -> LocalFeatures {
        guard let mask, mask.contains(true) else { return self }
        return keeping { !mask[$0] }
    }

    /// The same features with only the keypoints for which `keep(index)` is true.
    ///
    /// Its arrays are made at their final size (appending keypoint by keypoint would leave them up to twice as large
    /// as needed: the stripped copies of every scene's pictures are held together while clusters are formed).
    public func keeping(_ keep: (Int) -> Bool) -> LocalFeatures {
        var out = LocalFeatures(width: width, height: height, active: active)
        let kept = (0..<count).filter(keep)
        out.x.reserveCapacity(kept.count)
        out.y.reserveCapacity(kept.count)
        out.level.reserveCapacity(kept.count)
        out.descriptors.reserveCapacity(4 * kept.count)
        out.mirroredDescriptors.reserveCapacity(4 * kept.count)
        for k in kept {
            out.x.append(x[k])
            out.y.append(y[k])
            out.level.append(level[k])
            out.descriptors.append(contentsOf: descriptors[(4 * k)..<(4 * k + 4)])
            out.mirroredDescriptors.append(contentsOf: mirroredDescriptors[(4 * k)..<(4 * k + 4)])
        }
        return out
    }
}
