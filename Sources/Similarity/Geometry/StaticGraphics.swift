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
        func done() -> (scenes: [[Bool]?], pictures: [[Bool]?]) { (result, pictureResult) }
        // The most common picture size: graphics are placed in the pixels of one size.
        var sizes: [Int: Int] = [:]
        for f in features.compactMap({ $0 }) { sizes[f.width << 32 | f.height, default: 0] += 1 }
        guard let size = sizes.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) })?.key else { return done() }
        let usable = features.indices.filter { features[$0].map { $0.width << 32 | $0.height } == size }
        guard usable.count > minimumOtherScenes else { return done() }
        let references: [Int] = usable.count <= referenceScenes
            ? usable : (0..<referenceScenes).map { usable[$0 * usable.count / referenceScenes] }
        let first = features[usable[0]]!
        let columns = Int((Float(first.width) / cellSide).rounded(.up)) + 1
        let rows = Int((Float(first.height) / cellSide).rounded(.up)) + 1
        // Cell -> (reference number, keypoint) of every reference keypoint, as a bucketed list.
        var start = [Int](repeating: 0, count: columns * rows + 1)
        func cell(_ x: Float, _ y: Float) -> (Int, Int) {
            (min(max(Int(x / cellSide), 0), columns - 1), min(max(Int(y / cellSide), 0), rows - 1))
        }
        for r in references {
            let f = features[r]!
            for k in 0..<f.count { let (c, w) = cell(f.x[k], f.y[k]); start[w * columns + c + 1] += 1 }
        }
        for c in 0..<(columns * rows) { start[c + 1] += start[c] }
        var fill = start
        var entries = [(reference: Int32, keypoint: Int32)](repeating: (0, 0), count: start[columns * rows])
        for (n, r) in references.enumerated() {
            let f = features[r]!
            for k in 0..<f.count {
                let (c, w) = cell(f.x[k], f.y[k])
                entries[fill[w * columns + c]] = (Int32(n), Int32(k))
                fill[w * columns + c] += 1
            }
        }
        // Whether each reference shows different content from the scene at hand, and a stamp per reference so that
        // each counts once per keypoint.
        var different = [Bool](repeating: false, count: references.count)
        var stamp = [Int](repeating: -1, count: references.count)
        var stampCounter = 0
        let pictureSize = { (f: LocalFeatures) in f.width << 32 | f.height }
        let jobs: [(scene: Int, picture: Int?)] = usable.map { ($0, nil) }
            + pictures.indices.filter { pictureSize(pictures[$0].features) == size && usable.contains(pictures[$0].scene) }.map { (pictures[$0].scene, $0) }
        for (s, picture) in jobs {
            let f = picture.map { pictures[$0].features } ?? features[s]!
            var anyDifferent = 0
            for (n, r) in references.enumerated() {
                different[n] = r != s && differentContent(s, r)
                if different[n] { anyDifferent += 1 }
            }
            guard anyDifferent >= minimumOtherScenes else { continue }
            var mask = [Bool](repeating: false, count: f.count)
            f.descriptors.withUnsafeBufferPointer { own in
                for k in 0..<f.count {
                    stampCounter += 1
                    let x = f.x[k], y = f.y[k]
                    let (c0, w0) = cell(x, y)
                    var found = 0
                    search: for w in max(w0 - 1, 0)...min(w0 + 1, rows - 1) {
                        for c in max(c0 - 1, 0)...min(c0 + 1, columns - 1) {
                            for e in start[w * columns + c]..<start[w * columns + c + 1] {
                                let (n, j) = (Int(entries[e].reference), Int(entries[e].keypoint))
                                guard different[n], stamp[n] != stampCounter else { continue }
                                let g = features[references[n]]!
                                guard abs(g.x[j] - x) <= positionTolerance, abs(g.y[j] - y) <= positionTolerance else { continue }
                                let near = g.descriptors.withUnsafeBufferPointer {
                                    HammingMatching.distance(own.baseAddress! + 4 * k, $0.baseAddress! + 4 * j) <= maximumDistance
                                }
                                guard near else { continue }
                                stamp[n] = stampCounter
                                found += 1
                                if found >= minimumOtherScenes { break search }
                            }
                        }
                    }
                    mask[k] = found >= minimumOtherScenes
                }
            }
            if let picture { pictureResult[picture] = mask } else { result[s] = mask }
        }
        return done()
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
